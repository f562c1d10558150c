"""Attribution (source, cue, content) and linking sources to actors, on sentences written for these tests.

Each expectation was worked out by reading the sentence: who is the source, which words are the cue, what is said.
The PolNeAR figures are measured by benchmarks/bench_attribution.py, not here.
"""
import json
from pathlib import Path

import pandas as pd
import pytest

from newslens.actors import find_mentions, find_quotes, load_registry
from newslens.attribution import (KINDS, Attribution, attribution_memo, cue_forms, find_attributions,
                                  find_attributions_many)
from newslens.text import sentence_spans

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
POLNEAR_TRAIN = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "train"


def spans(text: str) -> list[tuple]:
    """(source, cue, content, kind) as text, for every attribution of ``text``."""
    def part(start, end):
        return None if start is None else text[start:end]
    return [(part(a.source_start, a.source_end), part(a.cue_start, a.cue_end), text[a.content_start:a.content_end],
             a.kind) for a in find_attributions(text)]


@pytest.fixture(scope="module")
def registry():
    return load_registry(SEEDS / "actors.yaml")


def quotes_of(text: str, registry) -> pd.DataFrame:
    documents = pd.DataFrame({"doc_id": ["d"], "text": [text]})
    return find_quotes(documents, registry, find_mentions(documents, registry))


# --- attribution: source, cue, content -----------------------------------------------------------------------------


def test_reported_speech_with_that():
    assert spans("Kallas stressed that any peace agreement must include concessions from Russia.") == [
        ("Kallas", "stressed", "any peace agreement must include concessions from Russia", "reported")]


def test_inverted_direct_quote():
    text = '"We see no signs that Russia is ready for a ceasefire," said Kallas.'
    assert spans(text) == [("Kallas", "said", '"We see no signs that Russia is ready for a ceasefire,"', "direct")]


def test_split_quote_is_joined():
    text = '"We are getting closer," Kallas said, "but the work is not finished."'
    assert spans(text) == [("Kallas", "said", text, "direct")]


def test_quote_over_several_sentences_is_kept_whole():
    text = 'Peskov said: "The meeting was useful. Much work remains. We will meet again in Abu Dhabi."'
    assert spans(text) == [("Peskov", "said", '"The meeting was useful. Much work remains. We will meet again in '
                                              'Abu Dhabi."', "direct")]


def test_quote_only_paragraph_continues_the_speaker():
    text = ('"The plan needs work," Umerov told reporters in Geneva.\n\n'
            '"We will not sign anything that rewards the aggressor."')
    assert spans(text) == [
        ("Umerov", "told", '"The plan needs work,"', "direct"),
        ("Umerov", "told", '"We will not sign anything that rewards the aggressor."', "direct")]


def test_told_reporters_and_informed_journalists():
    assert spans("Zelensky told reporters that the talks would continue.") == [
        ("Zelensky", "told", "the talks would continue", "reported")]
    assert spans("Witkoff informed journalists that a deal was close.") == [
        ("Witkoff", "informed", "a deal was close", "reported")]


def test_a_verb_with_a_that_clause_is_a_cue_without_the_list():
    assert "conveyed" not in cue_forms()
    assert spans("Peskov conveyed that Moscow was open to further talks.") == [
        ("Peskov", "conveyed", "Moscow was open to further talks", "reported")]


def test_quoted_as_stating_and_reported_as_saying():
    assert spans("Lavrov was quoted as stating that Russia would not withdraw.") == [
        ("Lavrov", "stating", "Russia would not withdraw", "reported")]
    # The agency reports; the attribution is Ushakov's.
    assert spans("The agency reported Ushakov as saying the talks were constructive.") == [
        ("Ushakov", "saying", "the talks were constructive", "reported")]


def test_called_the_talks_productive():
    assert spans('Rubio called the talks "productive".') == [("Rubio", "called", 'the talks "productive"', "reported")]


def test_according_to():
    assert spans("According to Umerov, the plan has 19 points.") == [
        ("Umerov", "According to", "the plan has 19 points.", "according_to")]


def test_passive_by_agent_points_back():
    text = "Putin wants to divide Europe. This was stated by Kaja Kallas."
    assert spans(text) == [("Kaja Kallas", "stated", "Putin wants to divide Europe.", "passive")]
    # Nothing before it: nothing to attribute.
    assert spans("This was stated by Kaja Kallas.") == []


def test_headlines():
    assert spans("Putin cannot achieve his goals on the battlefield, - Kallas\n\nThe talks went on.") == [
        ("Kallas", "-", "Putin cannot achieve his goals on the battlefield", "headline")]
    assert spans("Peskov: Moscow sees no reason to hurry\n\nThe talks went on.") == [
        ("Peskov", ":", "Moscow sees no reason to hurry", "headline")]


def test_credits_and_page_furniture_say_nothing():
    # A dateline is no part of the source; a banner or a weather box shaped like "Peskov: ..." is nobody's words.
    text = ("Bridge opens\nTALLINN (Wire) - The mayor said the bridge would open in May.\n"
            "Winter Sale: 40% off all subscriptions this week\nWeather: Tallinn 4°C, light snow tonight")
    assert spans(text) == [("The mayor", "said", "the bridge would open in May", "reported")]
    # The parser's subject can take the dateline in ("TALLINN (Wire) - The mayor"), or be the dateline alone.
    from newslens.attribution import _outside_credits

    text = "Bridge opens\nTALLINN (Wire) - The mayor said the bridge would open in May."
    mayor = Attribution(13, 39, 40, 44, 45, 73, "reported", 30, 39)
    dateline = Attribution(13, 20, 40, 44, 45, 73, "reported", 13, 20)
    assert [(a.source_start and text[a.source_start:a.source_end], a.head_start, text[a.content_start:a.content_end])
            for a in _outside_credits(text, [mayor, dateline])] == [
        ("The mayor", 30, "the bridge would open in May"), (None, None, "the bridge would open in May")]


def test_the_speaker_is_the_subject_not_the_nearest_name():
    # Putin and Witkoff are closer to the quote's start; Peskov says it.
    text = "After Putin met Witkoff in Moscow on Tuesday, Peskov said the meeting was useful."
    assert spans(text) == [("Peskov", "said", "the meeting was useful", "reported")]


def test_a_place_is_never_the_speaker():
    text = "Speaking at the White House, Trump said the talks were productive."
    assert spans(text) == [("Trump", "said", "the talks were productive", "reported")]


def test_declined_to_say_reports_nothing():
    assert spans("Rubio declined to say how soon an agreement could be reached.") == []


def test_a_cue_inside_a_quotation_does_not_claim_it():
    text = '"I think we are close," Witkoff said.'
    assert spans(text) == [("Witkoff", "said", '"I think we are close,"', "direct")]


def test_unattributed_quotation_has_no_source():
    text = 'The banner read "Peace now and forever" in large letters.'
    found = find_attributions(text)
    assert [(a.source_start, a.cue_start, text[a.content_start:a.content_end], a.kind) for a in found] == [
        (None, None, '"Peace now and forever"', "direct")]


def test_no_text_no_attribution_and_batch_matches_single():
    assert find_attributions("") == [] and find_attributions("The weather was fine.") == []
    texts = ["Kallas said the plan was flawed.", "", "Nothing here."]
    batch = find_attributions_many(texts)
    assert batch == [find_attributions(t) for t in texts] and len(batch[0]) == 1
    assert all(isinstance(a, Attribution) and a.kind in KINDS for a in batch[0])


def test_an_endless_sentence_is_not_parsed_but_its_quotation_is_found():
    text = "Kallas said " + "and more " * 2000 + '"This is a quotation of several words" in the end'
    found = find_attributions(text)
    assert [(a.source_start, text[a.content_start:a.content_end]) for a in found] == [
        (None, '"This is a quotation of several words"')]


# --- linking sources to actors ------------------------------------------------------------------------------------


def test_outlet_section_name_is_not_the_actor(registry):
    table = quotes_of("Politico Europe reported that the talks had stalled.", registry)
    row = table.iloc[0]
    assert len(table) == 1 and pd.isna(row["speaker"]) and row["source"] == "Politico Europe"


def test_sources_that_are_no_actors_stay_unlinked(registry):
    for text, source in [("Sources close to the Kremlin said the deal was off.", "Sources close to the Kremlin"),
                         ("A senior official told reporters that Kallas would travel to Kyiv.", "A senior official"),
                         ("According to The Post, Witkoff had drafted the plan himself.", "The Post")]:
        row = quotes_of(text, registry).iloc[0]
        assert pd.isna(row["speaker"]) and row["source"] == source, text


def test_names_titles_descriptors_and_pronouns_are_linked(registry):
    text = ("US President Donald Trump said the plan was fair. The Kremlin spokesman said the meeting was useful. "
            "Putin's adviser Yuri Ushakov said the talks would go on. "
            "Kallas spoke in Brussels. \"We are getting closer,\" she said.")
    table = quotes_of(text, registry)
    assert list(zip(table["speaker"], table["source"])) == [
        ("Donald Trump", "US President Donald Trump"), ("Dmitry Peskov", "The Kremlin spokesman"),
        ("Yuri Ushakov", "Putin's adviser Yuri Ushakov"), ("Kaja Kallas", "she")]
    for row in table.itertuples():
        assert text[row.speaker_start:row.speaker_end] in ("Donald Trump", "The Kremlin spokesman", "Yuri Ushakov",
                                                           "she")


def test_quote_columns_after_the_attribution_are_kept(registry):
    text = '"We are getting closer," Kallas said, "but the work is not finished."'
    row = quotes_of(text, registry).iloc[0]
    assert (row["speaker"], row["cue"], row["how"]) == ("Kaja Kallas", "said", "direct")
    assert row["quote"] == 'We are getting closer," Kallas said, "but the work is not finished'
    assert text[row["quote_start"]:row["quote_end"]] == row["quote"]


# --- the shipped cue list -------------------------------------------------------------------------------------------


def test_cue_list_is_counts_only_and_keeps_frequent_cues():
    data = json.loads((Path(__file__).resolve().parents[1] / "lib" / "newslens" / "data" /
                       "reporting_cues.json").read_text(encoding="utf-8"))
    assert data["articles"] == 840
    assert all(isinstance(c, int) and isinstance(t, int) and 0 < c <= t for c, t in data["forms"].values())
    forms = cue_forms()
    assert {"said", "says", "told", "according", "added", "wrote", "noted", "stated"} <= forms
    assert not {"has", "in", "the", "that", "and"} & forms  # mostly something else
    # "also" is in the list ("also said" is a common annotated cue) but counts only when tagged as a verb.
    assert "also" in forms and spans("Kallas also met Rubio in Geneva about the plan.") == []


@pytest.mark.skipif(not POLNEAR_TRAIN.is_dir(), reason="../shared PolNeAR data not present")
def test_cue_list_is_what_the_build_script_writes(tmp_path):
    from newslens import build_cues

    out = tmp_path / "cues.json"
    assert build_cues.main(["--out", str(out)]) == 0
    shipped = Path(build_cues.OUTPUT).read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == shipped


def test_the_attribution_memo_gives_back_every_field_and_none():
    memo = attribution_memo()
    with_source = Attribution(0, 12, 13, 17, 18, 38, "according_to", 4, 12)
    quotation = Attribution(None, None, None, None, 0, 20, "direct")  # no source, no cue, no head
    before = Attribution(0, 5, 10, 16, -1, -1, "passive", 0, 5)  # content -1: the sentence before
    memo["The minister said the talks had failed."] = [with_source, quotation, before]
    memo["Nothing said."] = []
    assert memo["The minister said the talks had failed."] == [with_source, quotation, before]
    assert memo["Nothing said."] == []


def test_sentences_already_parsed_are_not_parsed_again_and_new_ones_are_remembered():
    said = "The minister said the talks had failed."
    # A made-up attribution for the remembered sentence (a parse would call it "reported"): it is used as given, so
    # the sentence was not parsed again.
    remembered = Attribution(0, 12, 13, 17, 18, 38, "according_to", 4, 12)
    parsed = attribution_memo()
    parsed[said] = [remembered]
    other = "Officials told reporters that the deal was close."
    found = find_attributions_many([f"{said}\n{other}"], parsed=parsed)[0]
    assert remembered in found
    # The new sentence was parsed and remembered: "Officials" reported "the deal was close".
    assert [(other[a.source_start:a.source_end], other[a.content_start:a.content_end], a.kind)
            for a in parsed[other]] == [("Officials", "the deal was close", "reported")]


def test_the_parses_do_not_depend_on_how_many_sentences_share_a_batch():
    # The batch was cut from 256 to 64 sentences for memory (nlp.PIPE_BATCH): the seeds' sentences, several batches
    # of 64, must give the same attributions as in one batch.
    from newslens.attribution import MAX_SENTENCE_CHARS, _worth_parsing
    from newslens.nlp import PIPE_BATCH

    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    parsed = {text[start:end] for text in texts for start, end in sentence_spans(text)
              if end - start <= MAX_SENTENCE_CHARS and _worth_parsing(text[start:end])}
    assert len(parsed) > PIPE_BATCH  # the sentences parsed fill more than one batch (85 in two, 64 + 21)
    small, large = find_attributions_many(texts, batch_size=PIPE_BATCH), find_attributions_many(texts, batch_size=512)
    assert small == large and sum(map(len, small)) >= 20
