"""Reports for readers: findings in words, readable tables, honest support statements, heatmap counts, alt text,
one parameters block and a table of contents, the index's data dictionary. Expectations are written by hand."""
import re

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest

from newslens import findings, site
from newslens.actors import tally_quotes
from newslens.corpus import support_statements
from newslens.parameters import ParameterSpec
from newslens.parts import PartsWriter
from newslens.plots import describe_figure, heatmap, save_figure
from newslens.report import MAX_HTML_ROWS, format_cell, show_table, with_titles

from conftest import REPO


# --- findings ------------------------------------------------------------------------------------------------------

def test_actor_finding_states_the_numbers_in_words():
    finding = findings.actor_finding("Putin", 39, 4, 5, 34, -0.3149, -0.4712, -0.1523)
    assert finding.text == ("Putin is mentioned 39 times in 4 of 5 articles; the tone toward Putin is negative: "
                            "−0.31, 95% interval −0.47 to −0.15, from 34 scored mentions.")
    assert "not of coverage in general" in finding.caveat  # 5 articles: a description, not a sample


def test_actor_finding_does_not_claim_a_tone_the_interval_does_not_support():
    unclear = findings.actor_finding("Kallas", 17, 2, 5, 12, 0.08, -0.1, 0.26)
    assert "the tone toward Kallas is not clearly positive or negative (the interval includes 0): 0.08" in unclear.text
    few = findings.actor_finding("Rubio", 2, 1, 5, 2, 0.5, 0.2, 0.8, min_mentions=3)
    assert few.text == "Rubio is mentioned 2 times in 1 of 5 articles; 2 scored mentions, too few to state a tone."
    assert findings.actor_finding("EU", 1, 1, 1, 1, 0.5, 0.1, 0.9, min_mentions=1).text.startswith(
        "EU is mentioned 1 time in 1 of 1 article; the tone toward EU is positive: 0.50")


def test_actor_findings_take_the_most_mentioned_of_the_method():
    actors = pd.DataFrame({"actor": ["Trump", "Putin", "Putin"], "method": ["model", "model", "vader"],
                           "mentions": [5, 39, 39], "documents": [1, 2, 2], "scored": [5, 34, 34],
                           "mean_sentiment": [0.2, -0.31, 0.1], "ci_low": [0.1, -0.47, -0.2],
                           "ci_high": [0.3, -0.15, 0.4]})
    found = findings.actor_findings(actors, n_documents=3, top=2)
    assert [f.text.split(" is ")[0] for f in found] == ["Putin", "Trump"]
    assert found[0].key and not found[1].key
    assert "not of coverage in general" in found[0].caveat and found[1].caveat == ""  # said once, not per actor
    assert "in 2 of 3 articles" in found[0].text and "in 1 of 3 articles" in found[1].text


def test_method_agreement_finding_names_the_actors_where_the_methods_disagree():
    actors = pd.DataFrame({
        "actor": ["Putin", "Putin", "Witkoff", "Witkoff", "Kallas", "Kallas", "Rubio", "Rubio", "EU", "EU"],
        "method": ["model", "vader"] * 5,
        "mentions": [40, 40, 12, 12, 9, 9, 2, 2, 8, 8], "scored": [34, 34, 10, 10, 8, 8, 2, 2, 8, 8],
        "mean_sentiment": [-0.13, 0.09, 0.30, -0.05, 0.2, 0.1, -0.5, 0.5, 0.02, -0.03],
        "ci_low": [-0.25, 0.005, 0.1, -0.2, 0.0, -0.1, -0.9, 0.1, -0.1, -0.2],
        "ci_high": [-0.02, 0.18, 0.5, 0.1, 0.4, 0.3, -0.1, 0.9, 0.1, 0.1]})
    finding = findings.method_agreement_finding(actors, "model")
    # Rubio has 2 scored mentions (< 3): not compared. Kallas: same sign. EU: opposite signs, but both intervals
    # include 0. Witkoff: the model's interval excludes 0. Putin: both intervals exclude 0, on opposite sides.
    assert finding.text == (
        "The model and vader methods disagree on the sign of the tone for 2 of the 4 actors compared (means of "
        "opposite signs, at least one interval excluding 0), most mentioned first: Putin (model −0.13, vader 0.09) "
        "and Witkoff (model 0.30, vader −0.05). For 1 actor (Putin) both intervals exclude 0 on opposite sides: read "
        "the evidence sentences before trusting either.")
    agree = findings.method_agreement_finding(actors[actors["actor"].isin(["Kallas", "EU"])], "model")
    assert agree.text.startswith("The model and vader methods do not disagree on the sign of the tone toward any of "
                                 "the 2 actors with at least 3 scored mentions")
    assert findings.method_agreement_finding(actors, "vader") is None


def test_corpus_finding():
    documents = pd.DataFrame({"outlet": ["BBC", "", "BBC"], "published": ["2025-11-23T10:00", "", "2025-11-20"],
                              "n_words": [1000, 200, 234]})
    problems = pd.DataFrame({"action": ["skipped", "repaired"]})
    finding = findings.corpus_finding(documents, problems)
    assert finding.text == ("The corpus has 3 documents (1,434 words after cleaning) from 1 outlet; 2 documents dated "
                            "in the metadata, from 2025-11-20 to 2025-11-23.")
    assert finding.caveat == "1 file could not be used and was skipped (listed below)." and finding.key
    undated = findings.corpus_finding(documents.assign(outlet="", published=""))
    assert undated.text == ("The corpus has 3 documents (1,434 words after cleaning) from no known outlet; no document "
                            "has a publication date in the metadata.") and undated.caveat == ""

def test_discovery_finding():
    discovered = pd.DataFrame({"name": ["Ukraine", "Russia", "Kaja Kallas", "EU"],
                               "kind": ["place", "place", "person", "organisation"],
                               "mentions": [36, 45, 30, 1], "documents": [5, 5, 3, 1]})
    finding = findings.discovery_finding(discovered, top=2)
    assert finding.text == ("Discovery found 4 actors in the text: 2 places, 1 person and 1 organisation; the most "
                            "named are Russia (45 mentions in 5 documents) and Ukraine (36 mentions in 5 documents).")
    assert "actors_discovered.yaml" in finding.caveat and finding.key
    one = findings.discovery_finding(discovered.iloc[[3]])
    assert one.text == ("Discovery found 1 actor in the text: 1 organisation; the most named is EU (1 mention in 1 "
                        "document).")
    assert findings.discovery_finding(discovered.iloc[:0]).text == \
        "Discovery found no person, organisation or place in the text."
    cut = findings.discovery_finding(discovered.iloc[:2], top=1, left_out=1_500)
    assert cut.text == ("Discovery found 1,502 actors in the text and kept the 2 most named (discover_max_actors): "
                        "2 places; the most named is Russia (45 mentions in 5 documents).")


def test_quotes_finding():
    quotes = pd.DataFrame({"doc_id": ["a", "a", "b", "b", "c"],
                           "speaker": ["Kaja Kallas", "", "Vladimir Putin", "Kaja Kallas", ""]})
    tally = tally_quotes(quotes)
    assert (tally.quotes, tally.documents, tally.unattributed) == (5, 3, 2)
    assert tally.per_speaker.to_dict("list") == {"speaker": ["Kaja Kallas", "Vladimir Putin"], "quotes": [2, 1]}
    finding = findings.quotes_finding(tally, top=2)
    assert finding.text == ("5 quotes in 3 documents: 3 attributed to 2 actors, most to Kaja Kallas (2) and Vladimir "
                            "Putin (1); 2 quotes from sources that are no actor.")
    assert findings.quotes_finding(tally_quotes(quotes.iloc[[1]])).text == \
        "1 quote in 1 document: none to an actor; 1 quote from a source that is no actor."
    assert findings.quotes_finding(tally_quotes(quotes.iloc[:0])).text == "No quote or reported speech was found."
    # In parts, the same counts; speakers tied on quotes come by name.
    writer = PartsWriter(quotes)
    for rows in ([4, 0], [2, 3, 1]):  # c, a | b, b, a
        writer.add(quotes.iloc[rows])
    tied = tally_quotes(writer.done())
    assert (tied.quotes, tied.documents, tied.unattributed) == (5, 3, 2)
    assert tied.per_speaker.to_dict("list") == {"speaker": ["Kaja Kallas", "Vladimir Putin"], "quotes": [2, 1]}
    one_each = tally_quotes(quotes.iloc[[2, 0]])  # Putin's quote first
    assert one_each.per_speaker["speaker"].tolist() == ["Kaja Kallas", "Vladimir Putin"]


def test_speaker_target_finding_reads_no_tone_from_a_few_mentions():
    pairs = pd.DataFrame({"speaker": ["Kaja Kallas", "Kaja Kallas", "Marco Rubio"],
                          "target": ["Russia", "Vladimir Putin", "Vladimir Putin"],
                          "mentions": [20, 10, 2], "mean_sentiment": [-0.2768, -0.5963, -0.57]})
    finding = findings.speaker_target_finding(pairs, min_mentions=3)
    assert finding.text == ("Of 3 speaker–target pairs, 2 rest on at least 3 mentions; the most frequent: Kaja Kallas "
                            "about Russia (20 mentions, mean −0.28) and Kaja Kallas about Vladimir Putin (10 mentions, "
                            "mean −0.60).")
    assert finding.caveat.endswith("Pairs with fewer than 3 mentions are grey in the figure.")
    assert findings.speaker_target_finding(pairs, min_mentions=25).text == \
        "3 speaker–target pairs, none with 25 or more mentions: too few to read a tone from."
    assert findings.speaker_target_finding(pairs.iloc[:0]).text == "No actor's quote mentions another actor."


def test_show_table_says_in_words_that_a_table_is_empty():
    empty = show_table(pd.DataFrame({"speaker": []}), empty="No quote is attributed to <any> actor.")
    assert empty._repr_html_() == '<p class="tex2jax_ignore">No quote is attributed to &lt;any&gt; actor.</p>'
    assert repr(empty) == "No quote is attributed to <any> actor."
    assert "<table" in show_table(pd.DataFrame({"speaker": ["Kallas"]}), empty="none")._repr_html_()

def test_numbers_titles_and_lists_for_reading():
    assert findings.number(-0.3149) == "−0.31" and findings.number(0.5, 1) == "0.5"
    assert findings.number(-0.004) == "0.00" and findings.number(-0.006) == "−0.01"  # no "−0.00"
    assert findings.number(1234567.0, 0) == "1,234,567" and findings.number(float("nan")) == "n/a"
    title = "Putin cannot achieve his goals on battlefield, says Kallas"
    assert findings.short_title(title, 31) == "Putin cannot achieve his goals…"  # 30 characters and "…"
    assert findings.short_title(title, 30) == "Putin cannot achieve his…"  # "goals" would not fit
    assert findings.short_title("Abcdefghijklmnop", 10) == "Abcdefghi…"
    assert findings.short_title("Short title") == "Short title"
    assert findings.listing(["a", "b", "c"]) == "a, b and c" and findings.listing(["a"]) == "a"


def test_word_frequency_findings():
    terms = pd.DataFrame({"term": ["russia", "ukraine"], "count": [45, 28], "per_10k": [209.86, 130.6],
                          "documents": [5, 4]})
    assert findings.top_terms_finding(terms, 5, top=2).text == (
        "The most frequent terms are “russia” (45 times, 209.9 per 10,000 words, in 5 of 5 documents) and "
        "“ukraine” (28 times, 130.6 per 10,000 words, in 4 of 5 documents).")
    # As frequency.dispersion_by_document gives them: "ceasefire" twice in a, once in b.
    by_document = pd.DataFrame({"query": ["ceasefire"] * 2, "doc_id": ["a", "b"], "occurrences": [2, 1]})
    assert findings.concordance_finding(by_document, ["ceasefire", "truce"]).text == \
        "“ceasefire” occurs 3 times in 2 documents and “truce” does not occur."
    lines = pd.DataFrame({"query": ["ceasefire"] * 3})
    assert findings.concordance_finding(by_document, ["ceasefire"], lines).text == \
        "“ceasefire” occurs 3 times in 2 documents."
    # Categorical columns, a query among the categories without a row.
    coded = by_document.astype({"query": pd.CategoricalDtype(["ceasefire", "truce"]),
                                "doc_id": pd.CategoricalDtype(["b", "c", "a"])})
    assert findings.concordance_finding(coded, ["truce", "ceasefire"]).text == \
        "“truce” does not occur and “ceasefire” occurs 3 times in 2 documents."
    assert findings.concordance_finding(by_document, ["ceasefire"], lines.iloc[:2]).text == \
        "“ceasefire” occurs 3 times in 2 documents (2 concordance lines show a sample spread evenly over them)."
    distinctive = pd.DataFrame({"doc_id": ["a", "a", "b"], "term": ["geneva", "american", "kaia"]})
    text = findings.distinctive_finding(distinctive, {"a": "Talks in Geneva", "b": "Kallas speaks"}).text
    assert text == "Most distinctive of each document: “Talks in Geneva”: “geneva” and “american”; " \
                   "“Kallas speaks”: “kaia”."


def test_chronology_finding():
    events = pd.DataFrame({"date": ["2025-11-20", "2025-11", "2025-11-23"], "precision": ["day", "month", "day"],
                           "date_source": ["explicit", "inferred", "relative to article date"],
                           "n_sources": [1, 2, 1]})
    finding = findings.chronology_finding(events)
    assert finding.text == ("The chronology has 3 dated events from 2025-11 to 2025-11-23, dated 2 to the day and 1 "
                            "to the month; 1 event is reported by more than one document.")
    assert finding.key
    assert finding.caveat.endswith("1 event is counted from an article date that was itself inferred from the text: "
                                   "as uncertain as that date (see the article dates above).")
    selected = findings.chronology_finding(events.iloc[[0]], found=3)
    assert selected.text == ("The chronology has 1 dated event (of 3 found; the selection parameters leave out 2) "
                             "from 2025-11-20 to 2025-11-20, dated 1 to the day; 0 events are reported by more than "
                             "one document.")
    assert "inferred" not in selected.caveat  # the one event kept is dated by its own sentence
    assert findings.chronology_finding(events.iloc[:0]).text == "No event could be dated."
    assert findings.chronology_finding(events.iloc[:0], found=3).text == \
        "No event is kept: the selection parameters leave out all 3 found."


def test_timex_finding():
    timexes = pd.DataFrame({"doc_id": ["a", "a", "b", "b"], "type": ["DATE", "DATE", "DATE", "DURATION"],
                            "value": ["2025-11-23", "XXXX-WXX-4", "2014", "P2W"]})
    finding = findings.timex_finding(timexes)
    assert finding.text == ("The tagger found 4 time expressions in 2 documents: 3 dates, of which 2 are resolved "
                            "to a day, month or year, and 1 duration, time or repetition, which makes no event.")
    assert finding.caveat.startswith("An unresolved date")
    resolved = findings.timex_finding(timexes.iloc[[0]])
    assert resolved.text == ("The tagger found 1 time expression in 1 document: 1 date, of which 1 is resolved to a "
                             "day, month or year.") and resolved.caveat == ""
    assert findings.timex_finding(timexes.iloc[:0]).text == "The tagger found no time expression."


def test_a_finding_escapes_article_text_and_is_not_maths():
    finding = findings.Finding('“<script>alert(1)</script>” costs $5 and $7', "a <b>caveat</b>")
    bundle = finding._repr_mimebundle_()
    page = bundle["text/html"]
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>caveat" not in page
    assert "tex2jax_ignore" in page and "Caveat." in page
    assert bundle[site.FINDING_MIME] == {"text": '“<script>alert(1)</script>” costs $5 and $7',
                                         "caveat": "a <b>caveat</b>", "key": False}


# --- tables ---------------------------------------------------------------------------------------------------------

def test_cells_are_rounded_for_reading():
    assert format_cell(0.123456, "mean") == "0.12"
    assert format_cell(2.78e-89, "p_value") == "< 0.001" and format_cell(0.0432, "p_value") == "0.043"
    assert format_cell(12345.6, "g2") == "12,346" and format_cell(123.456, "g2") == "123.5"
    assert format_cell(-0.5, "score") == "−0.50" and format_cell(float("nan"), "x") == ""
    assert format_cell(1234, "count") == "1,234" and format_cell(0, "count") == "0"


def test_show_table_aligns_escapes_scrolls_and_links_its_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = pd.DataFrame({"title": [f"<b>title {i}</b>" for i in range(30)], "score": [0.123456] * 30})
    page = show_table(table, "tables/x.csv", rows=10)._repr_html_()
    assert page.count("<tr>") == 31  # every row, in a scrollable block
    assert "overflow:auto" in page and 'href="tables/x.csv"' in page and "All 30 rows" in page
    assert "<b>title" not in page and "&lt;b&gt;title 29&lt;/b&gt;" in page
    assert re.search(r'<td style="text-align:left[^"]*min-width:16em[^"]*">&lt;b&gt;title 0', page)
    assert '<td style="text-align:right;vertical-align:top;white-space:nowrap">0.12</td>' in page
    assert 'class="dataframe newslens-table tex2jax_ignore"' in page
    short = show_table(table.head(3), "tables/x.csv", rows=10)._repr_html_()
    assert "overflow:auto" not in short and "3 rows; also in" in short
    assert '1 row; also in <a href="tables/x.csv">' in show_table(table.head(1), "tables/x.csv")._repr_html_()


def test_show_table_puts_the_columns_a_reader_needs_first_and_does_not_break_dates():
    table = pd.DataFrame({"doc_id": ["000_8d3096f3f0fa6a76"], "date": ["2025-11-23"], "n": [3], "title": ["Talks"]})
    page = show_table(table, first=["title", "date"])._repr_html_()
    assert re.findall(r"<th[^>]*>([\w<>]+)</th>", page) == ["title", "date", "doc_<wbr>id", "n"]
    # 10 characters at 0.65 em each: 7 em, not the 4 em that lets "2025-11-23" break at its hyphens
    assert '<td style="text-align:left;vertical-align:top;min-width:7em;' in page
    assert "min-width:13em" in page  # the 20-character doc_id
    assert list(table.columns) == ["doc_id", "date", "n", "title"]  # the caller's table is left as it is


def test_a_wide_table_fits_the_page_by_narrowing_then_folding_its_last_columns():
    table = pd.DataFrame({"sentence": ["word " * 40], "title": ["T"], "quote": ["q"], "evidence": ["e"],
                          "doc_id": ["000_8d3096f3f0fa6a76"], **{f"count_{i}": [i] for i in range(1, 10)},
                          "note": ["<script>x</script>"]})
    page = show_table(table)._repr_html_()
    # By hand (report.PAGE_EM = 68 em): nine numbers at 0.65 × 5 + 1 = 4.25 em, six text paddings, and text
    # columns of 4 × 16 (sentences), 13 (doc_id: 20 characters) and 12 (note: 18) em are 65.25 em too many.
    # Sentences down to 8 em (−32), doc_id to 7 (−6), note to 7 (−5): still 22.25 over. Folding note costs the
    # 16 em of "other columns" and gives back its width; each folded count gives back 4.25 em. With count_3 …
    # count_9 folded too, 4.25 × 2 + 5 + 16 + 4 × 8 + 7 = 68.5 em is still 0.5 over; with count_2 also folded,
    # 4.25 + 5 + 16 + 77 = 102.25 em need 34.25 less: three sentence columns give 8 em each, the fourth 8 of 8
    # (2.25 left), and doc_id 3 of its 13 em: 10 em.
    assert re.findall(r"<th[^>]*>([^<]+(?:<wbr>[^<]+)?)</th>", page) == [
        "sentence", "title", "quote", "evidence", "doc_<wbr>id", "count_<wbr>1", "other columns"]
    assert page.count("min-width:8em;max-width:36em;white-space:normal;overflow-wrap:anywhere") == 4  # the cells
    assert page.count("white-space:normal;min-width:8em") == 4  # and their headings
    assert page.count("min-width:10em;max-width:36em;white-space:normal;overflow-wrap:anywhere") == 1  # doc_id
    assert ">" + "<br>".join(f"count_{i}: {i}" for i in range(2, 10)) + \
        "<br>note: &lt;script&gt;x&lt;/script&gt;</td></tr>" in page  # every value is still there, escaped
    assert "<script>" not in page


def test_with_titles_adds_the_shortened_title_after_doc_id():
    documents = pd.DataFrame({"doc_id": ["a"], "title": ["A very long title about the peace talks in Geneva"]})
    table = pd.DataFrame({"doc_id": ["a", "a"], "term": ["x", "y"]})
    shown = with_titles(table, documents, width=20)
    assert list(shown.columns) == ["doc_id", "title", "term"] and list(shown["title"]) == ["A very long title…"] * 2
    shown.loc[0, "term"] = "changed"  # the shown table shares the columns but never writes into the original
    assert list(table.columns) == ["doc_id", "term"] and list(table["term"]) == ["x", "y"]



def test_show_table_adds_titles_to_the_shown_rows_only():
    documents = pd.DataFrame({"doc_id": ["a", "b"], "title": ["Talks in Geneva", "Ceasefire <b>holds</b>"]})
    table = pd.DataFrame({"doc_id": ["a", "b"] * 400, "term": [f"t{i}" for i in range(800)]})  # 800 > 500 shown
    shown = show_table(table, titles=documents, first=["term"])
    assert shown.n == 800 and len(shown.table) == MAX_HTML_ROWS
    assert list(shown.table.columns) == ["term", "doc_id", "title"]
    assert list(shown.table["title"].head(2)) == ["Talks in Geneva", "Ceasefire <b>holds</b>"]
    page = shown._repr_html_()
    assert "Ceasefire &lt;b&gt;holds&lt;/b&gt;" in page and "The first 500 of 800 rows" in page
    assert list(table.columns) == ["doc_id", "term"]  # the caller's table is not changed

# --- what the corpus supports ---------------------------------------------------------------------------------------

def documents_table(outlets, dates):
    return pd.DataFrame({"outlet": outlets, "published": dates, "n_words": [100] * len(outlets)})


def test_one_article_per_outlet_supports_no_outlet_comparison():
    statements = support_statements(documents_table([f"outlet {i}" for i in range(19)], [""] * 19))
    assert statements[-1] == ("19 outlets with 1 document each: too few per outlet for an outlet comparison (it needs "
                              "at least two outlets with 5 documents or more each); a difference between outlets here "
                              "would be a difference between single articles.")
    assert not any("comparisons are possible" in s for s in statements)


def test_several_articles_per_outlet_support_a_comparison():
    statements = support_statements(documents_table(["A"] * 5 + ["B"] * 6 + ["C"], [""] * 12))
    assert statements[-1].startswith("3 outlets with 1 to 6 documents each: outlet comparisons are possible between "
                                     "the 2 outlets with at least 5 documents each")


def test_a_trend_needs_dated_articles_over_a_span():
    four_days = support_statements(documents_table([""] * 5, ["2025-11-20", "2025-11-21", "2025-11-23", "", ""]))
    assert ("3 of 5 documents have a publication date, from 2025-11-20 to 2025-11-23 (4 days): too few or too close "
            "together for a trend") in four_days[-2]
    dated = [f"2025-{month:02d}-01" for month in range(1, 13)]
    assert support_statements(documents_table([""] * 12, dated))[-2] == (
        "Every document has a publication date, from 2025-01-01 to 2025-12-01 (335 days): a trend over publication "
        "time can be drawn from the dated documents.")


# --- figures --------------------------------------------------------------------------------------------------------

def test_heatmap_writes_the_count_of_each_cell_and_mutes_thin_cells():
    values = pd.DataFrame({"doc 1": [0.5, -0.2], "doc 2": [0.1, float("nan")]}, index=["Putin", "Kallas"])
    counts = pd.DataFrame({"doc 1": [12, 1], "doc 2": [3, 0]}, index=["Putin", "Kallas"])
    fig = heatmap(values, "Tone", "mean sentiment", diverging=True, counts=counts, min_count=3)
    ax = fig.axes[0]
    labels = {t.get_text(): t.get_color() for t in ax.texts}
    assert labels == {"0.50\nn=12": "black", "0.10\nn=3": "black", "-0.20\nn=1": "#888888"}
    # The cells are squares (not an image, which is resampled to the output's pixels), row 0 at the top.
    assert ax.get_images() == [] and ax.get_ylim() == (1.5, -0.5) and ax.get_xlim() == (-0.5, 1.5)
    overlay = ax.collections[1].get_array()
    assert [[bool(v == v) and v is not np.ma.masked for v in row] for row in overlay] == [[False, False], [True, False]]
    assert ax.get_title() == "Tone; grey: fewer than 3 observations"
    plt.close(fig)
    plain = heatmap(values, "Tone", "mean sentiment", diverging=True)
    assert len(plain.axes[0].collections) == 1 and plain.axes[0].get_title() == "Tone"
    plt.close(plain)


def test_figures_get_alt_text_from_what_they_show(tmp_path):
    fig, ax = plt.subplots()
    ax.barh([0, 1], [3, 2])
    ax.set_yticks([0, 1], ["Putin cannot achieve…", "Talks held"])
    ax.set_xlabel("mentions")
    ax.set_title("Mentions per article")
    assert describe_figure(fig) == "Mentions per article — x: mentions — y: Putin cannot achieve…, Talks held"
    saved = save_figure(fig, "m", tmp_path)
    data, metadata = saved._repr_png_()
    assert data[:4] == b"\x89PNG" and metadata == {
        "alt": "Mentions per article — x: mentions — y: Putin cannot achieve…, Talks held",
        "filename": "figures/m.png"}
    labelled, _ = plt.subplots()
    labelled.set_label("Word cloud of 3 terms")
    assert save_figure(labelled, "w", tmp_path, alt=None).alt == "Word cloud of 3 terms"


# --- the report's structure -----------------------------------------------------------------------------------------

def notebook_with_parameters():
    nb = nbformat.v4.new_notebook()
    defaults = nbformat.v4.new_code_cell('corpus: str = "../seeds"\ntop_n: int = 25  # rows')
    defaults.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell('corpus = "../../seeds"\noutput_dir = "."\ntop_n = 10')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · Words\n\n**Question.** Which words?"), defaults, injected,
                nbformat.v4.new_markdown_cell("## The most frequent terms\n\ntext"),
                nbformat.v4.new_markdown_cell("## Caveats")]
    nb.metadata["papermill"] = {"parameters": {"corpus": "../../seeds", "output_dir": ".", "top_n": 10}}
    specs = {"corpus": ParameterSpec("corpus", "str", '"../seeds"', "a folder"),
             "output_dir": ParameterSpec("output_dir", "str", '"."'),
             "top_n": ParameterSpec("top_n", "int", "25", "rows in the figures"),
             "stemming": ParameterSpec("stemming", "bool", "False", "Snowball stemming")}
    return nb, specs


def test_a_report_has_one_parameters_block_and_a_table_of_contents():
    nb, specs = notebook_with_parameters()
    ready = site.prepare_for_readers(nb, specs)
    sources = [cell.source for cell in ready.cells]
    assert sources[1] == ("**Contents**\n\n- [Parameters of this run](#Parameters-of-this-run)\n"
                          "- [The most frequent terms](#The-most-frequent-terms)\n- [Caveats](#Caveats)")
    assert sources[2].startswith("## Parameters of this run\n\n<table")
    assert not any(cell.metadata.get("tags") for cell in ready.cells)  # neither defaults nor injected cell
    block = sources[2]
    assert "<td><code>top_n</code></td><td><code>10</code></td><td>rows in the figures</td>" in block
    assert "<td><code>stemming</code></td><td><code>False</code></td>" in block
    assert "<td><code>corpus</code></td><td><code>&quot;seeds&quot;</code></td>" in block  # the name, no path
    assert "output_dir" not in block
    assert len(nb.cells) == 5  # the executed notebook itself is left as it ran


def test_heading_anchor_is_nbconvert_s():
    from nbconvert.filters.strings import add_anchor

    for text in ("The most frequent terms", "Keyness against general English", "Outlets & cited sources"):
        heading = add_anchor(f"<h2>{text.replace('&', '&amp;')}</h2>")
        assert f'id="{site.heading_anchor(text).replace("&", "&amp;")}"' in heading


def test_every_column_of_every_written_csv_is_in_the_data_dictionary():
    # The committed outputs hold every table the notebooks write on the seeds.
    tables = sorted((REPO / "outputs").glob("*/tables/*.csv"))
    assert len(tables) >= 15
    missing = [f"{path.name}:{column}" for path in tables for column in site.csv_columns(path)
               if site.describe_column(path.stem, column) is None]
    assert missing == []
    assert site.describe_column("terms", "dp")[1] == "0 to 1"
    assert site.describe_column("keyness", "count")[0] == "occurrences in this corpus"  # per-table entry first
    assert site.describe_column("terms", "no_such_column") is None


@pytest.mark.parametrize("show_code", [False, True])
def test_code_is_left_out_unless_asked_for(tmp_path, show_code):
    nb, specs = notebook_with_parameters()
    nb.cells.append(nbformat.v4.new_code_cell("result = 6 * 7"))
    site.export_report(nb, tmp_path / "r.html", specs, show_code=show_code)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert ("jp-InputArea-editor\" data-type" in page) is show_code
    assert page.count('<h2 id="Parameters-of-this-run">') == 1 and "top_n = 10" not in page


def test_a_report_figure_opens_at_full_size(tmp_path):
    nb, specs = notebook_with_parameters()
    fig, ax = plt.subplots()
    ax.set_title("Mentions <per> article")
    data, metadata = save_figure(fig, "m", tmp_path)._repr_png_()
    figure = nbformat.v4.new_output("display_data", data={"image/png": __import__("base64").b64encode(data).decode()},
                                    metadata={"image/png": metadata})
    nb.cells.append(nbformat.v4.new_code_cell("save_figure(fig, 'm')", outputs=[figure]))
    site.export_report(nb, tmp_path / "r.html", specs)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    image = re.search(r'<a href="figures/m.png">\s*(<img [^>]*>)\s*</a>', page).group(1)
    assert 'alt="Mentions &lt;per&gt; article"' in image and 'src="data:image/png;base64,' in image
    assert 'Full size: <a href="figures/m.png">PNG</a>, <a href="figures/m.svg">SVG</a>.' in page


def test_the_index_thumbnail_is_the_main_figure_else_the_first(tmp_path):
    import base64

    nb, _ = notebook_with_parameters()
    folder = tmp_path / "02_actors"
    figures = []
    for name, main in (("mentions", False), ("tone", True), ("pairs", False)):
        fig, ax = plt.subplots()
        ax.set_title(f"{name} <figure>")
        data, metadata = save_figure(fig, name, folder, main=main)._repr_png_()
        assert metadata.get("main", False) is main
        figures.append(nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(data).decode()},
                                              metadata={"image/png": metadata}))
    nb.cells.append(nbformat.v4.new_code_cell("figures", outputs=figures))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "02_actors.ipynb")
    files = ["02_actors/02_actors.ipynb"] + [f"02_actors/figures/{n}.{e}" for n in ("mentions", "tone", "pairs")
                                             for e in ("png", "svg")]
    section = site.report_section(tmp_path, "02_actors", files, None)
    assert '<img class="thumbnail" src="02_actors/figures/tone.png" alt="tone &lt;figure&gt;"' in section
    # Without a main figure among the files, the first figure stands for the report.
    files = [f for f in files if "/tone." not in f]
    section = site.report_section(tmp_path, "02_actors", files, None)
    assert '<img class="thumbnail" src="02_actors/figures/mentions.png" alt="mentions &lt;figure&gt;"' in section


def test_a_failure_reason_on_the_index_names_no_folder_of_the_machine(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", "/home/Jane Doe")
    corpus = tmp_path / "my articles"
    reason = (f"CorpusError: {corpus}/a.csv: a row has more values than the header has columns; "
              "see /home/Jane Doe/notes/help.txt, C:\\Users\\jdoe\\x.py and ~/cache/parse.db, "
              "https://example.org/a/b and and/or ../seeds/x.txt")
    assert site.public_reason(reason, {corpus: "my articles", tmp_path / "out": "the output folder"}) == (
        "CorpusError: my articles/a.csv: a row has more values than the header has columns; see help.txt, x.py and "
        "parse.db, https://example.org/a/b and and/or ../seeds/x.txt")
    assert site.public_reason("cannot write in /srv/reports/jane/out") == "cannot write in out"
    # A bare name as given is no path: it is left alone in the rest of the message.
    assert site.public_reason("seeds failed: no seeds", {"seeds": "seeds"}) == "seeds failed: no seeds"
    # The index applies it too, to a reason written by an earlier run.
    section = site.report_section(tmp_path, "00_corpus", [], "OSError: /home/Jane Doe/x/documents.csv is locked")
    assert "FAILED in the last run:</strong> OSError: documents.csv is locked" in section and "Jane" not in section


def test_the_index_counts_publication_dates_the_chronology_inferred(tmp_path):
    (tmp_path / "00_corpus" / "tables").mkdir(parents=True)
    (tmp_path / "03_chronology" / "tables").mkdir(parents=True)
    (tmp_path / "00_corpus" / "tables" / "documents.csv").write_text(
        "doc_id,outlet,published\na,,2025-11-20\nb,,\nc,,\n", encoding="utf-8")
    (tmp_path / "03_chronology" / "tables" / "article_dates.csv").write_text(
        "doc_id,source\na,metadata\nb,inferred\nc,undated\n", encoding="utf-8")
    reports = {"00_corpus": ("00_corpus/tables/documents.csv",),
               "03_chronology": ("03_chronology/tables/article_dates.csv",)}
    summary = dict(site.corpus_summary(tmp_path, reports))
    assert summary["published"] == "2025-11-20 to 2025-11-20 (1 of 3 documents dated); 1 more inferred from their " \
                                   "text (03_chronology)"
    (tmp_path / "00_corpus" / "tables" / "documents.csv").write_text("doc_id,outlet,published\na,,\n",
                                                                      encoding="utf-8")
    assert dict(site.corpus_summary(tmp_path, reports))["published"] == \
        "no date in the metadata; 1 inferred from their text (03_chronology)"
    assert dict(site.corpus_summary(tmp_path, {"00_corpus": reports["00_corpus"]}))["published"] == \
        "no date in the metadata"


def test_the_index_reads_only_the_columns_it_summarises(tmp_path):
    (tmp_path / "00_corpus" / "tables").mkdir(parents=True)
    table = tmp_path / "00_corpus" / "tables" / "documents.csv"
    table.write_text('doc_id,title,outlet,published\na,"x, ""y""",Ledger,2025-01-02\nb,z,Post,\n', encoding="utf-8")
    reports = {"00_corpus": ("00_corpus/tables/documents.csv",)}
    summary = dict(site.corpus_summary(tmp_path, reports))
    assert (summary["documents"], summary["outlets"]) == ("2", "2")
    assert summary["published"] == "2025-01-02 to 2025-01-02 (1 of 2 documents dated)"
    table.write_text("file,title\na.txt,x\nb.txt,y\nc.txt,z\n", encoding="utf-8")  # none of the three columns
    summary = dict(site.corpus_summary(tmp_path, reports))
    assert (summary["documents"], summary["outlets"], summary["published"]) == ("3", "none known",
                                                                                "no date in the metadata")
    dates = tmp_path / "03_chronology" / "tables" / "article_dates.csv"
    dates.parent.mkdir(parents=True)
    reports["03_chronology"] = ("03_chronology/tables/article_dates.csv",)
    dates.write_text('doc_id,date,source,evidence\na,,inferred,"a, quoted ""x"""\nb,,undated,\n', encoding="utf-8")
    assert dict(site.corpus_summary(tmp_path, reports))["published"] == \
        "no date in the metadata; 1 inferred from their text (03_chronology)"
    dates.write_text("doc_id,date\na,2025-01-01\n", encoding="utf-8")  # no source column: nothing said
    assert dict(site.corpus_summary(tmp_path, reports))["published"] == "no date in the metadata"


def test_the_index_summarises_the_documents_a_chunk_of_rows_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "SUMMARY_ROWS", 2)  # five rows: chunks of 2, 2 and 1
    table = tmp_path / "00_corpus" / "tables" / "documents.csv"
    table.parent.mkdir(parents=True)
    table.write_text("doc_id,outlet,published\na,Post,2025-03-01T10:00\nb,,2025-01-05\nc,Ledger,\nd,Post,2025-07-09\n"
                     "e,,2024-12-31\n", encoding="utf-8")
    dates = tmp_path / "03_chronology" / "tables" / "article_dates.csv"
    dates.parent.mkdir(parents=True)
    dates.write_text("doc_id,source\na,metadata\nb,metadata\nc,inferred\nd,metadata\ne,metadata\n", encoding="utf-8")
    reports = {"00_corpus": ("00_corpus/tables/documents.csv",),
               "03_chronology": ("03_chronology/tables/article_dates.csv",)}
    summary = dict(site.corpus_summary(tmp_path, reports))
    # Two distinct outlets over the chunks, two rows without one; the earliest date in the last chunk, the latest
    # in the second, four dated; one inferred, in the second chunk of article_dates.csv.
    assert (summary["documents"], summary["outlets"]) == ("5", "2 (2 documents without one)")
    assert summary["published"] == ("2024-12-31 to 2025-07-09 (4 of 5 documents dated); 1 more inferred from their "
                                    "text (03_chronology)")


def test_article_dates_finding():
    anchors = pd.DataFrame({"source": ["inferred", "undated", "inferred", "metadata", "undated"],
                            "anchor": ["2025-11-23", "", "", "2025-11-20", ""],
                            "confidence": [0.6, 0.0, 0.3, 1.0, 0.0]})
    finding = findings.article_dates_finding(anchors)
    assert finding.text == ("Of 5 articles: 1 from the metadata, 2 inferred from their text and 2 undated. 2 of them "
                            "have a day to count relative dates (“on Friday”) from.")
    assert finding.caveat == ("Relative expressions in the 3 articles without such a day make no event; give a known "
                              "date with anchor_overrides. Inferred dates rest on clues of confidence 0.3 to 0.6 (out "
                              "of 1): check their evidence.")
    one = findings.article_dates_finding(anchors.iloc[[3]])
    assert one.text == "Of 1 article: 1 from the metadata. 1 of them has a day to count relative dates (“on Friday”) " \
                       "from." and one.caveat == ""
    # articles given only the corpus's window have no day of their own either: no event from "on Friday"
    window = pd.DataFrame({"source": ["corpus window", "undated", "metadata"], "anchor": ["", "", "2025-11-20"],
                           "confidence": [0.1, 0.0, 1.0]})
    finding = findings.article_dates_finding(window)
    assert finding.text == ("Of 3 articles: 1 from the metadata, 1 given only the corpus's window (no evidence of "
                            "their own) and 1 undated. 1 of them has a day to count relative dates (“on Friday”) from.")
    assert finding.caveat == ("Relative expressions in the 2 articles without such a day make no event; give a known "
                              "date with anchor_overrides.")


def test_every_data_dictionary_row_has_exactly_its_four_fields():
    # "per 10,000 words" unquoted once split one meaning over the unit column and lost the real unit.
    import csv
    import importlib.resources

    text = importlib.resources.files("newslens").joinpath("data", "columns.csv").read_text(encoding="utf-8")
    bad = [row for row in csv.reader(text.splitlines()) if len(row) != 4]
    assert bad == []
    assert site.describe_column("terms", "per_10k") == ("occurrences per 10,000 words of the corpus (or of the "
                                                        "document)", "per 10,000 words")


def test_show_table_keeps_only_the_rows_it_can_show_and_counts_them_all():
    # A notebook keeps every displayed result in its output history: a long table must not be kept whole.
    table = pd.DataFrame({"doc_id": [f"d{i}" for i in range(1200)], "count": range(1200)})
    shown = show_table(table, rows=15, first=["count"])
    assert len(shown.table) == 500 and list(shown.table.columns) == ["count", "doc_id"]
    html = shown._repr_html_()
    assert "The first 500 of 1,200 rows" in html and ">d499<" in html and ">d500<" not in html
    assert repr(shown) == "<table of 1200 rows>"


def test_setup_report_gives_memory_back_after_each_cell_registered_once(monkeypatch):
    from types import SimpleNamespace

    from IPython.core.events import EventManager, available_events

    from newslens import report

    shell = SimpleNamespace(events=EventManager(None, available_events))
    released = []
    monkeypatch.setattr(report, "_notebook_shell", lambda: shell)
    monkeypatch.setattr(report, "release_free_memory", lambda: released.append(1))
    report.setup_report()
    report.setup_report()  # a notebook run twice in one kernel: still one hook
    shell.events.trigger("post_run_cell", None)
    assert released == [1]
