"""Loading and cleaning: hand-checked expectations on the seeds, and every kind of bad input."""
import hashlib
import json
import warnings

import pandas as pd
import pyarrow as pa
import pytest

import newslens
from newslens import CorpusError, CorpusWarning
from newslens.cleaning import clean_text, credit_spans

from conftest import SEEDS, warning_messages

SEED_IDS = ["000_8d3096f3f0fa6a76", "001_c190102fa271d982", "002_5da2c3bbd95e10c4", "003_412d1c09e69c2b39",
            "004_758a5824e923800f"]


def removals(corpus, doc_id):
    report = corpus.cleaning[corpus.cleaning["doc_id"] == doc_id]
    return list(zip(report["step"], report["line"], report["reason"]))


# --- the seeds, checked by reading the files -----------------------------------------------------------------------

def test_seed_ids_are_file_names_in_order(seed_corpus):
    assert list(seed_corpus.documents["doc_id"]) == SEED_IDS
    assert seed_corpus.problems.empty


def test_document_texts_by_id_read_one_text_at_a_time(seed_corpus):
    from newslens.corpus import DocumentTexts

    documents = seed_corpus.documents
    texts = DocumentTexts(documents.iloc[1:3])
    assert list(texts) == list(documents["doc_id"][1:3]) and len(texts) == 2
    assert texts[documents["doc_id"][2]] == documents["text"][2] and isinstance(texts[documents["doc_id"][1]], str)
    assert documents["doc_id"][0] not in texts
    missing = DocumentTexts(pd.DataFrame({"doc_id": ["a", "b"], "text": ["Putin spoke.", None]}))
    assert dict(missing) == {"a": "Putin spoke.", "b": ""}


def test_seed_002_repeated_body_counts_once(seed_corpus):
    doc = seed_corpus.documents.set_index("doc_id").loc["002_5da2c3bbd95e10c4"]
    # 13 lines in the file: the lead line, six paragraphs, then the same six again (lines 8-13 = lines 2-7).
    assert len(doc["text"].split("\n")) == 7
    assert doc["text"].count("Witkoff is expected to meet with Putin in Moscow") == 1
    raw = (SEEDS / "002_5da2c3bbd95e10c4.txt").read_text(encoding="utf-8")
    assert raw.count("Witkoff is expected to meet with Putin in Moscow") == 2
    assert "raw_text" not in seed_corpus.documents.columns  # the text as read is not kept (memory)
    assert removals(seed_corpus, "002_5da2c3bbd95e10c4") == [("repeated paragraph", n, f"same as line {n - 6}")
                                                              for n in range(8, 14)]


def test_seed_001_furniture_and_unicode(seed_corpus):
    got = removals(seed_corpus, "001_c190102fa271d982")
    assert got == [
        ("unicode", 0, "non-breaking or thin space → space"),  # 1 in "Source:", 6 in the cookie notice
        ("unicode", 0, "bullet character at line start → '- '"),
        ("furniture", 2, "page header label"),  # Category
        ("furniture", 3, "page header value (after 'Category')"),  # Politics
        ("furniture", 4, "page header label"),  # Publication date
        ("repeated paragraph", 6, "same as line 1"),  # the title again
        ("furniture", 9, "source line"),
        ("furniture", 13, "page header label"),  # Points of attention
        ("repeated paragraph", 32, "same as line 30"),  # "Kaia Callas" caption twice
        ("furniture", 52, "cookie notice"),
        ("furniture", 54, "language-switch prompt"),
    ]
    report = seed_corpus.cleaning.set_index(["doc_id", "reason"])
    assert report.loc[("001_c190102fa271d982", "non-breaking or thin space → space"), "removed"] == "7×"
    text = seed_corpus.documents.set_index("doc_id").loc["001_c190102fa271d982", "text"]
    assert "cookies" not in text and "\u00a0" not in text and "Kaia Kallas" in text
    assert text.count("Kaia Callas") == 1


def test_seed_003_and_004_links_and_bio(seed_corpus):
    assert removals(seed_corpus, "003_412d1c09e69c2b39")[-1] == ("furniture", 22, "related-article link")
    got = removals(seed_corpus, "004_758a5824e923800f")
    assert ("furniture", 6, "live-ticker link") in got and ("furniture", 10, "author bio") in got
    # 15 curly double quotes in seed 004, counted by hand (title 2, line 2: 2, line 3: 4, line 7: 2, line 8: 1,
    # line 9: 2, the bio line 2).
    report = seed_corpus.cleaning.set_index(["doc_id", "reason"])
    assert report.loc[("004_758a5824e923800f", 'curly or angle double quote → "'), "removed"] == "15×"
    text = seed_corpus.documents.set_index("doc_id").loc["004_758a5824e923800f", "text"]
    assert "Amateur alcohol" not in text and '"positive changes"' in text


def test_seed_000_is_untouched_and_metadata_is_read(seed_corpus):
    docs = seed_corpus.documents.set_index("doc_id")
    assert removals(seed_corpus, "000_8d3096f3f0fa6a76") == []
    assert docs.loc["000_8d3096f3f0fa6a76", "text"] == (SEEDS / "000_8d3096f3f0fa6a76.txt").read_text(encoding="utf-8")
    assert docs.loc["000_8d3096f3f0fa6a76", "n_chars_raw"] == docs.loc["000_8d3096f3f0fa6a76", "n_chars_clean"]
    assert docs.loc["003_412d1c09e69c2b39", "cited_source"] == "BBC"
    assert (docs["published"] == "").all()  # no seed has a known date: none may be invented
    assert docs.loc["004_758a5824e923800f", "title"] == 'Putin sees "positive changes" in his talks with Ukraine'


def test_seed_files_are_unchanged_copies():
    from conftest import SHARED

    shared = SHARED / "seeds"
    if not shared.exists():
        pytest.skip("needs ../shared/seeds")
    for path in shared.glob("*.txt"):
        assert (SEEDS / path.name).read_bytes() == path.read_bytes()


def test_clean_text_keeps_reporting_that_mentions_sources():
    text = "Title\nThe source said talks would resume.\nRead also: another story\nCategory\nWorld\n"
    clean, report = clean_text(text)
    assert clean == "Title\nThe source said talks would resume."
    assert [r.reason for r in report] == ["related-article link", "page header label",
                                          "page header value (after 'Category')"]


def test_clean_text_keeps_reporting_shaped_like_furniture():
    text = ("Talks Stall. Kyiv Waits. Moscow Smiles.\n"
            "Moscow would prefer the Russian version of the 28-point plan to be binding, officials said.\n"
            "Source: a senior official said talks had stalled.\n"
            "Source:  The Guardian\n"
            "You might prefer the English version of our website. Would you like to switch?\n"
            "Amateur alcohol specialist. Reader. Hardcore introvert.\n")
    clean, report = clean_text(text)
    assert clean.split("\n") == text.split("\n")[:3]
    assert [(r.line, r.reason) for r in report] == [(4, "source line"), (5, "language-switch prompt"),
                                                    (6, "author bio")]


# --- bad input -----------------------------------------------------------------------------------------------------

def write(folder, name, data):
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


GOOD = "A title\nThe envoy arrived in Geneva on Sunday.\n"


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(CorpusError, match="no such file or folder"):
        newslens.load_corpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match=r"no \.txt or \.html documents"):
        newslens.load_corpus(tmp_path)


def test_empty_and_binary_files_are_skipped_and_an_html_page_saved_as_text_read_as_a_page(tmp_path):
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, "empty.txt", "  \n")
    write(tmp_path, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    write(tmp_path, "page.txt", "<!DOCTYPE html><html><head><title>x</title></head><body><p>Hi</p></body></html>")
    write(tmp_path, "menu.txt", "<!DOCTYPE html><html><body><nav><p>Home</p></nav><script>go()</script></body></html>")
    with pytest.warns(CorpusWarning) as caught:
        corpus = newslens.load_corpus(tmp_path)
    messages = sorted(str(w.message) for w in caught)
    assert messages == ["binary.txt: binary file, not text (skipped)", "empty.txt: empty file (skipped)",
                        "menu.txt: an HTML page without article text (no paragraph outside menus, headers, footers "
                        "and scripts) (skipped)",
                        "page.txt: an HTML page, not plain text: its article text was taken from the markup "
                        "(repaired)"]
    docs = corpus.documents.set_index("doc_id")
    assert list(docs.index) == ["good", "page"]
    assert docs.loc["page", "text"] == "x\n\nHi" and docs.loc["page", "title"] == "x"  # paragraphs stay apart


def test_only_bad_files_is_an_error(tmp_path):
    write(tmp_path, "empty.txt", "")
    with pytest.warns(CorpusWarning), pytest.raises(CorpusError, match="no usable documents"):
        newslens.load_corpus(tmp_path)


def test_a_large_corpus_is_read_in_a_process_of_its_own_with_the_same_result(tmp_path, monkeypatch):
    from newslens import corpus as corpus_module

    folder, bad = tmp_path / "corpus", tmp_path / "bad"
    folder.mkdir()
    bad.mkdir()
    write(folder, "good.txt", GOOD)
    write(folder, "repeat.txt", GOOD)  # a duplicate: a warning
    write(folder, "empty.txt", "  \n")
    # Rows in the cleaning report, and metadata given for one document only (empty for the other).
    write(folder, "cut.txt", "Bridge opens\nThe mayor opened the bridge and thanked the\u2026 [+1234 chars]")
    write(folder, "metadata.csv", "file,outlet,published\ncut.txt,Harbour Post,2025-12-03\n")
    cache = tmp_path / "cache"
    with pytest.warns(CorpusWarning) as here:
        expected = newslens.load_corpus(folder, cache_dir=cache)
    monkeypatch.setattr(corpus_module, "PROCESS_BYTES", 0)  # any corpus is "large"
    monkeypatch.setattr(corpus_module, "_loaded", None)  # not read here
    with pytest.warns(CorpusWarning) as apart:
        corpus = newslens.load_corpus(folder, cache_dir=cache)
    assert sorted(warning_messages(apart)) == sorted(warning_messages(here)) == [
        "empty.txt: empty file (skipped)", "repeat.txt: duplicate of document 'good' (skipped)"]
    assert corpus.documents.equals(expected.documents) and list(corpus.documents["doc_id"]) == ["cut", "good"]
    assert list(corpus.documents["outlet"]) == ["Harbour Post", ""]
    assert corpus.documents.dtypes.equals(expected.documents.dtypes)
    assert corpus.cleaning.equals(expected.cleaning) and corpus.cleaning.dtypes.equals(expected.cleaning.dtypes)
    assert corpus.cleaning[["doc_id", "line", "removed"]].values.tolist() == [["cut", 2, "\u2026 [+1234 chars]"]]
    assert corpus.problems.equals(expected.problems)
    write(bad, "empty.txt", "")  # its error, raised here as there
    with pytest.warns(CorpusWarning), pytest.raises(CorpusError, match="no usable documents"):
        newslens.load_corpus(bad, cache_dir=cache)


def test_documents_written_in_slices_keep_one_schema(tmp_path, monkeypatch):
    from newslens import corpus as corpus_module

    monkeypatch.setattr(corpus_module, "WRITE_ROWS", 1)  # the first slice's date is missing, the second's is not
    documents = pd.DataFrame({"doc_id": ["a", "b"], "published": pd.Series([None, "2025-12-03"], dtype=object)})
    corpus_module.write_documents(documents, ["doc_id", "published"], tmp_path / "documents.arrow")
    published = corpus_module.read_documents(tmp_path / "documents.arrow")["published"]
    assert published.isna().tolist() == [True, False] and published[1] == "2025-12-03"


def test_cp1252_is_decoded_with_a_warning(tmp_path):
    write(tmp_path, "old.txt", b"Caf\xe9 talks\n\x93We agree,\x94 he said \x96 twice.\n")  # cp1252 bytes
    with pytest.warns(CorpusWarning, match=r"old\.txt: not valid UTF-8 \(first bad byte 3\); decoded as cp1252"):
        corpus = newslens.load_corpus(tmp_path)
    doc = corpus.documents.iloc[0]
    assert doc["encoding"] == "cp1252"
    assert doc["text"] == 'Café talks\n"We agree," he said – twice.'


def test_latin1_fallback_when_cp1252_cannot_decode(tmp_path):
    # 0x81 is undefined in cp1252, so only latin-1 can decode this file.
    write(tmp_path, "odd.txt", b"Title\nA \x81 byte and caf\xe9.\n")
    with pytest.warns(CorpusWarning, match="decoded as latin-1"):
        corpus = newslens.load_corpus(tmp_path)
    assert corpus.documents.iloc[0]["encoding"] == "latin-1"


def test_bom_and_duplicate_documents(tmp_path):
    write(tmp_path, "a.txt", "\ufeff" + GOOD)
    write(tmp_path, "b.txt", GOOD.replace("Geneva", "Geneva "))  # the same text but for white space
    with pytest.warns(CorpusWarning, match=r"b\.txt: duplicate of document 'a' \(skipped\)"):
        corpus = newslens.load_corpus(tmp_path)
    assert list(corpus.documents["doc_id"]) == ["a"]
    assert corpus.documents.iloc[0]["text"].startswith("A title")


@pytest.mark.parametrize("cached", [False, True])
def test_files_with_the_same_bytes_share_one_cleaned_text(tmp_path, cached):
    # a.txt and c.txt are byte for byte the same (one cleaning, one cache entry): the first is kept, the other is a
    # duplicate, and b.txt between them is read as itself.
    folder = tmp_path / "corpus"
    folder.mkdir()
    write(folder, "a.txt", GOOD)
    write(folder, "b.txt", "Other\nDifferent text here.\n")
    write(folder, "c.txt", GOOD)
    with pytest.warns(CorpusWarning, match=r"c\.txt: duplicate of document 'a' \(skipped\)"):
        corpus = newslens.load_corpus(folder, cache_dir=tmp_path / "cache" if cached else None)
    assert list(corpus.documents["doc_id"]) == ["a", "b"]
    assert list(corpus.documents["text"]) == [GOOD.strip(), "Other\nDifferent text here."]


@pytest.mark.parametrize("on_disk", [False, True])
def test_text_column_is_the_texts_in_order_whatever_the_chunk(tmp_path, on_disk):
    from newslens.corpus import _TextColumn

    texts = ["one", "", "trois é", "four", "five"]
    for chunk in (1, 2, 5, 10):
        column = _TextColumn(tmp_path if on_disk else None, chunk=chunk)
        for text in texts:
            column.append(text)
        assert list(column.series()) == texts


def test_with_a_cache_the_texts_are_read_from_a_mapped_file_not_held(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for number in range(40):  # 40 texts of about 100 kB: 4 MB
        write(folder, f"d{number:02d}.txt", f"Title {number}\n" + f"Talks went on in Geneva {number}. " * 3_000)
    held = newslens.load_corpus(folder).documents
    before = pa.total_allocated_bytes()
    mapped = newslens.load_corpus(folder, cache_dir=tmp_path / "cache").documents
    assert pa.total_allocated_bytes() - before < 1_000_000  # of the 4 MB of texts
    pd.testing.assert_frame_equal(mapped, held)


@pytest.mark.parametrize("on_disk", [True, False], ids=["cache folder", "no cache"])
def test_texts_as_read_kept_once_by_key_until_cleaned(tmp_path, on_disk):
    from newslens.corpus import _RawTexts

    texts = [f"Talks {n} went on in Genève. " * 20_000 for n in range(5)]  # 27 characters, 28 bytes ("è") x 20,000
    before = pa.total_allocated_bytes()
    raw = _RawTexts(tmp_path if on_disk else None, batch=2)
    fields = [raw.add(text) for text in [*texts, texts[0]]]  # the first text read twice: kept once
    held = pa.total_allocated_bytes() - before
    # With batches of 2, 4 of the 5 texts (560,000 bytes each) are in Arrow arrays, the 5th pending.
    assert held < 100_000 if on_disk else held > 2_200_000
    assert fields[0] == (hashlib.sha256(texts[0].encode()).hexdigest(), 540_000)  # key, n_chars_raw
    assert fields[5] == fields[0] and raw.keys() == [key for key, _ in fields[:5]]
    assert [raw.text(key) for key, _ in fields[:5]] == texts
    raw.close()
    assert pa.total_allocated_bytes() - before < 100_000


def test_metadata_missing_file_and_bad_dates(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", "Other\nDifferent text here.\n")
    write(tmp_path, "c.txt", "Third\nYet another text.\n")
    write(tmp_path, "metadata.csv", "file,title,outlet,cited_source,published\n"
                                    "a.txt,,Wire,,2025-11-23\nb.txt,,,,2025-13-45\nghost.txt,,,,\n"
                                    "c.txt,,,,last Tuesday\n")
    with pytest.warns(CorpusWarning) as caught:
        corpus = newslens.load_corpus(tmp_path)
    assert warning_messages(caught) == [
        "metadata.csv line 3: published date '2025-13-45' is not a valid date: write it as YYYY-MM-DD; left empty "
        "(repaired)",
        "metadata.csv line 4: names 'ghost.txt', which is not a document of the corpus (ignored)",
        "metadata.csv line 5: published date 'last Tuesday' is not a valid date (it holds no number): write it as "
        "YYYY-MM-DD; left empty (repaired)",
    ]
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["a", "published"] == "2025-11-23" and docs.loc["a", "outlet"] == "Wire"
    assert docs.loc["b", "published"] == "" and docs.loc["c", "published"] == ""


def test_published_dates_as_feeds_and_sites_write_them(tmp_path):
    dates = {  # as written -> the day kept ("" = refused, with a warning)
        "2025-11-23T14:05:00Z": "2025-11-23", "2025-11-23 23:30:00-05:00": "2025-11-23",  # the day as written
        "Nov 24, 2025": "2025-11-24", "Mon, 24 Nov 2025 10:00:00 GMT": "2025-11-24",
        "24 Nov 2025 10:00 EST": "2025-11-24",
        "24/11/2025": "2025-11-24", "11/24/2025": "2025-11-24", "24.11.2025": "2025-11-24",  # one reading only
        "03/04/2025": "",  # 3 April or 4 March
        "Nov 2025": "",  # no day
        "November 31, 2025": "",
        "Sept. 3, 2025": "2025-09-03", "Tuesday, September 3rd, 2025": "2025-09-03",
    }
    rows = [{"id": f"d{i:02d}", "text": f"Talks resumed in round {i}.", "published": value}
            for i, value in enumerate(dates)]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.warns(CorpusWarning) as caught:
        corpus = newslens.load_corpus(tmp_path / "t.jsonl")
    assert corpus.documents["published"].tolist() == list(dates.values())
    assert warning_messages(caught) == [
        "t.jsonl row 9 (id 'd08'): published date '03/04/2025' is not a valid date (lacks its day, month or year, or "
        "can be read as more than one date): write it as YYYY-MM-DD; left empty (repaired)",
        "t.jsonl row 10 (id 'd09'): published date 'Nov 2025' is not a valid date (lacks its day, month or year, or "
        "can be read as more than one date): write it as YYYY-MM-DD; left empty (repaired)",
        "t.jsonl row 11 (id 'd10'): published date 'November 31, 2025' is not a valid date: write it as YYYY-MM-DD; "
        "left empty (repaired)",
    ]


def test_other_files_in_folder_are_reported(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "scan.pdf", b"%PDF-1.4")
    with pytest.warns(CorpusWarning, match=r"scan\.pdf: not a \.txt or \.html document \(ignored\)"):
        newslens.load_corpus(tmp_path)


def test_tables_csv_jsonl_parquet(tmp_path):
    rows = [{"id": "x1", "title": "T1", "text": "First article text.", "published": "2025-12-02"},
            {"id": "x2", "title": "T2", "text": "Second article text.", "published": ""}]
    pd.DataFrame(rows).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame(rows).to_parquet(tmp_path / "c.parquet")
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n", encoding="utf-8")
    for name in ("c.csv", "c.parquet"):
        docs = newslens.load_corpus(tmp_path / name).documents
        assert list(docs["doc_id"]) == ["x1", "x2"] and list(docs["published"]) == ["2025-12-02", ""]
        assert docs.iloc[0]["title"] == "T1" and docs.iloc[1]["text"] == "Second article text."
    with pytest.warns(CorpusWarning, match=r"c\.jsonl line 3: not valid JSON"):
        docs = newslens.load_corpus(tmp_path / "c.jsonl").documents
    assert list(docs["doc_id"]) == ["x1", "x2"]


def test_columns_of_common_exports_are_read_by_their_own_names(tmp_path):
    # a news API's JSON: the articles in a list under one key, the outlet nested, the date as "publishedAt"
    articles = [{"source": {"id": None, "name": "Harbour Post"}, "author": "Ann Berg", "title": "Bridge opens",
                 "url": "https://example.org/1", "publishedAt": "2025-12-03T09:30:00Z",
                 "content": "The mayor opened the new bridge on Wednesday."},
                {"source": {"id": "wire", "name": "Wire"}, "author": None, "title": "Ferry stops",
                 "url": "https://example.org/2", "publishedAt": "2025-12-04T18:00:00+01:00",
                 "content": "The old ferry made its last crossing on Thursday."}]
    (tmp_path / "api.json").write_text(json.dumps({"status": "ok", "articles": articles}), encoding="utf-8")
    with pytest.warns(CorpusWarning) as caught:
        corpus = newslens.load_corpus(tmp_path / "api.json")
    docs = corpus.documents
    assert list(docs["outlet"]) == ["Harbour Post", "Wire"]
    assert list(docs["published"]) == ["2025-12-03", "2025-12-04"]
    assert list(docs["title"]) == ["Bridge opens", "Ferry stops"]
    assert warning_messages(caught) == [
        "api.json: columns not read: author, url, source.id (names read where none was found — doc_id: doc_id, id; "
        "cited_source: cited_source) (ignored)"]
    # a spreadsheet's export: capitalised names, "Headline", "Body", "Date"
    pd.DataFrame({"ID": ["b1"], "Headline": ["Bridge opens"], "Body": ["The mayor opened it."],
                  "Date": ["2025-12-03"], "Publisher": ["Harbour Post"]}).to_csv(tmp_path / "sheet.csv", index=False)
    row = newslens.load_corpus(tmp_path / "sheet.csv").documents.iloc[0]
    assert (row.doc_id, row.title, row.outlet, row.published) == ("b1", "Bridge opens", "Harbour Post", "2025-12-03")
    # a date column by a name not known is listed, never dropped without a word
    pd.DataFrame({"text": ["The mayor opened it."], "fecha": ["2025-12-03"]}).to_csv(tmp_path / "es.csv", index=False)
    with pytest.warns(CorpusWarning, match=r"es\.csv: columns not read: fecha \(names read where none was found — "
                                           r".*published: published, date, published_at"):
        assert newslens.load_corpus(tmp_path / "es.csv").documents.iloc[0].published == ""


def test_metadata_csv_reads_a_date_column_by_its_other_names(tmp_path):
    write(tmp_path, "a.txt", "Bridge opens\nThe mayor opened the new bridge on Wednesday.\n")
    write(tmp_path, "metadata.csv", "file,Publisher,Date,url\na.txt,Harbour Post,2025-12-03,https://example.org/1\n")
    with pytest.warns(CorpusWarning, match=r"metadata\.csv: columns not read: url \(names read where none was found"
                                           r" — title: title, headline; cited_source: cited_source\)"):
        row = newslens.load_corpus(tmp_path).documents.iloc[0]
    assert (row.outlet, row.published) == ("Harbour Post", "2025-12-03")


def test_a_news_api_s_truncation_mark_is_no_word_of_the_article():
    text, removals = clean_text("Bridge opens\nThe mayor opened the bridge and thanked the… [+1234 chars]")
    assert text == "Bridge opens\nThe mayor opened the bridge and thanked the"
    assert [(r.step, r.line, r.removed) for r in removals] == [("furniture", 2, "… [+1234 chars]")]


def test_a_json_corpus_is_a_list_of_articles(tmp_path):
    (tmp_path / "list.json").write_text(json.dumps([{"id": "a", "text": "The mayor spoke."}, "stray"]),
                                        encoding="utf-8")
    with pytest.warns(CorpusWarning, match=r"list\.json item 2: not a JSON object \(skipped\)"):
        assert list(newslens.load_corpus(tmp_path / "list.json").documents["doc_id"]) == ["a"]
    (tmp_path / "odd.json").write_text(json.dumps({"text": "The mayor spoke."}), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"odd\.json: a \.json corpus is a list of articles"):
        newslens.load_corpus(tmp_path / "odd.json")
    (tmp_path / "broken.json").write_text('[{"id": "a", "text": "The mayor', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken\.json: cannot be read as a json table"):
        newslens.load_corpus(tmp_path / "broken.json")


def test_table_errors_name_the_file(tmp_path):
    pd.DataFrame({"headline": ["a"], "words": ["b"]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(CorpusError, match=r"t\.csv: no text column .*found headline, words"):
        newslens.load_corpus(tmp_path / "t.csv")
    pd.DataFrame({"id": ["a", "a"], "text": ["x", "y"]}).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(CorpusError, match=r"d\.csv: column 'id' has repeated ids, e\.g\. 'a'"):
        newslens.load_corpus(tmp_path / "d.csv")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(CorpusError, match=r"bad\.parquet: cannot be read as a parquet table"):
        newslens.load_corpus(tmp_path / "bad.parquet")
    (tmp_path / "x.docx").write_bytes(b"PK")
    with pytest.raises(CorpusError, match=r"x\.docx: not a folder of \.txt / \.html files"):
        newslens.load_corpus(tmp_path / "x.docx")


def test_support_statements_follow_the_table(seed_corpus):
    from newslens.corpus import support_statements

    statements = support_statements(seed_corpus.documents)
    assert statements[0].startswith("5 documents")
    assert any("No document has a publication date" in s for s in statements)
    assert any("No outlet is known" in s for s in statements)


def test_utf8_file_with_a_few_cp1252_bytes_keeps_its_accents(tmp_path):
    write(tmp_path, "mixed.txt", "Café talks in Zürich\n".encode() + b"He said \x93no\x94.\n")
    with pytest.warns(CorpusWarning, match=r"mixed\.txt: mostly UTF-8, but some bytes are not \(first at byte 31\); "
                                           "those bytes decoded as cp1252"):
        doc = newslens.load_corpus(tmp_path).documents.iloc[0]
    assert doc["encoding"] == "utf-8+cp1252"
    assert doc["title"] == "Café talks in Zürich" and doc["text"] == 'Café talks in Zürich\nHe said "no".'


def test_hidden_files_and_notebook_checkpoints_are_not_read(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", "Other\nDifferent text here.\n")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints", "a-checkpoint.txt", GOOD)
    write(tmp_path, ".notes.txt", "Notes\nTo self.\n")
    with pytest.warns(CorpusWarning, match=r"\.ipynb_checkpoints/a-checkpoint\.txt: hidden: 2 document\(s\)"):
        corpus = newslens.load_corpus(tmp_path)
    assert list(corpus.documents["doc_id"]) == ["a", "b"] and list(corpus.documents["file"]) == ["a.txt", "b.txt"]


def test_clashing_ids_broken_links_other_csv_and_untitled_files(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "a.TXT", "Other\nDifferent text here.\n")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    write(tmp_path, "Metadata.csv", "file,outlet\na.txt,Wire\n")
    write(tmp_path, "long.txt", "word " * 100)  # 500 characters and no line break
    with pytest.warns(CorpusWarning) as caught:
        corpus = newslens.load_corpus(tmp_path)
    assert sorted(str(w.message) for w in caught) == [
        "Metadata.csv: not read: metadata is read only from metadata.csv at the top of the corpus folder (ignored)",
        "a.txt: has the same doc_id 'a' as a.TXT (skipped)",
        "gone.txt: a link to a file that does not exist (skipped)",
        "long.txt: the first line (499 characters) is too long for a title; title left empty (repaired)",
    ]
    docs = corpus.documents.set_index("doc_id")
    assert list(docs.index) == ["a", "long"] and docs.loc["a", "file"] == "a.TXT"
    assert docs.loc["long", "title"] == "" and docs.loc["long", "text"] == ("word " * 100).strip()


def test_metadata_rows_that_cannot_be_trusted_are_ignored(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", "Other\nDifferent text here.\n")
    write(tmp_path, "c.txt", "Third\nYet another text.\n")
    write(tmp_path, "metadata.csv", "file, title ,outlet\n"  # spaces around names are tolerated
                                    "c.txt,Third title,Wire,extra\n"
                                    'a.txt,"Unclosed title,Wire\nb.txt,,Post\n')
    with pytest.warns(CorpusWarning) as caught:
        corpus = newslens.load_corpus(tmp_path)
    assert warning_messages(caught) == [
        "metadata.csv line 2: has 4 values for 3 columns (an unquoted comma?) (ignored)",
        "metadata.csv line 4: a value runs over several lines and swallows the rows after it (an unclosed quote?); "
        "this row and the rows it swallowed are ignored (ignored)",
    ]
    docs = corpus.documents.set_index("doc_id")
    assert list(docs["title"]) == ["A title", "Other", "Third"] and set(docs["outlet"]) == {""}


def test_a_quoted_title_with_line_breaks_is_valid_csv(tmp_path):
    # Python's csv module and spreadsheets quote a value that holds line breaks; the breaks become spaces.
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", "Other\nDifferent text here.\n")
    write(tmp_path, "metadata.csv", 'file,title,outlet\r\na.txt,"Asked about the plan,\n\nPutin said",Wire\r\n'
                                    "b.txt,Second,Post\r\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        corpus = newslens.load_corpus(tmp_path)
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["a", "title"] == "Asked about the plan, Putin said" and docs.loc["a", "outlet"] == "Wire"
    assert docs.loc["b", "title"] == "Second" and docs.loc["b", "outlet"] == "Post"


def test_table_cells_missing_ids_and_extra_values(tmp_path):
    (tmp_path / "shifted.csv").write_text("id,text\n1,Talks stalled, officials said\n2,Envoy left\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"shifted\.csv: a row has more values than the header has columns"):
        newslens.load_corpus(tmp_path / "shifted.csv")
    (tmp_path / "noid.jsonl").write_text('{"id": "a", "text": "aa bb"}\n{"text": "cc dd"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"noid\.jsonl: column 'id' is empty in 1 row\(s\), e\.g\. row 2"):
        newslens.load_corpus(tmp_path / "noid.jsonl")
    (tmp_path / "sparse.jsonl").write_text('{"id": "x1", "title": "T1", "text": "First text.", "published": "2025-12-02"}'
                                           '\n{"id": "x2", "text": "Second text."}\n{"id": "x3", "text": 42}\n',
                                           encoding="utf-8")
    with pytest.warns(CorpusWarning) as caught:
        docs = newslens.load_corpus(tmp_path / "sparse.jsonl").documents
    assert warning_messages(caught) == ["sparse.jsonl row 3 (id 'x3'): text is not a string but int (skipped)"]
    assert list(docs["title"]) == ["T1", "Second text."] and list(docs["outlet"]) == ["", ""]
    assert list(docs["published"]) == ["2025-12-02", ""]
    frame = pd.DataFrame({"doc_id": ["p1", "p2"], "text": ["One text.", "Two text."],
                          "published": pd.to_datetime(["2025-11-24 00:00", "2025-11-25 18:30"])})
    frame.set_index("doc_id").to_parquet(tmp_path / "indexed.parquet")
    docs = newslens.load_corpus(tmp_path / "indexed.parquet").documents
    assert list(docs["doc_id"]) == ["p1", "p2"] and list(docs["published"]) == ["2025-11-24", "2025-11-25"]


def test_utf16_text_and_decomposed_file_names(tmp_path):
    write(tmp_path, "wide.txt", "Ceasefire talks\nThe envoys met in Genève.\n".encode("utf-16"))  # with its BOM
    write(tmp_path, "Zu\u0308rich.txt", "Zurich talks\nAnother text.\n")  # "Zürich" decomposed, as macOS writes it
    write(tmp_path, "metadata.csv", "file,outlet\nZ\u00fcrich.txt,Wire\n")  # composed in the metadata
    with pytest.warns(CorpusWarning, match=r"wide\.txt: UTF-16 text; decoded \(repaired\)"):
        docs = newslens.load_corpus(tmp_path).documents.set_index("file")
    assert docs.loc["wide.txt", "text"] == "Ceasefire talks\nThe envoys met in Genève."
    assert docs.loc["Zu\u0308rich.txt", "outlet"] == "Wire"


@pytest.mark.parametrize("text, credits", [
    ("Bridge opens\nTALLINN (Wire) — The mayor spoke.", ["TALLINN (Wire) — "]),
    ("Bridge opens\nTARTU, Estonia, Dec. 3 (Wire) - The mayor spoke.", ["TARTU, Estonia, Dec. 3 (Wire) - "]),
    ("Bridge opens\nDec 29 (Wire) - The mayor spoke.", ["Dec 29 (Wire) - "]),
    ("Bridge opens\nNARVA — The mayor spoke.", ["NARVA — "]),
    ("Bridge opens\nBy Anna Berg and Mart Kask, Wire\nThe mayor spoke.", ["By Anna Berg and Mart Kask, Wire"]),
    ("Bridge opens\nThe mayor spoke. (Reporting by Anna Berg in Tartu; Editing by Liis Tamm)",
     ["(Reporting by Anna Berg in Tartu; Editing by Liis Tamm)"]),
    ("Bridge opens\nThe mayor spoke.\nAdditional reporting by Anna Berg", ["Additional reporting by Anna Berg"]),
    ("Bridge opens\nThe mayor spoke. Anna Berg contributed to this report.", ["Anna Berg contributed to this report."]),
    # reporting shaped like credits
    ("Bridge opens\nBy Monday morning, the mayor had spoken.", []),
    ("Bridge opens\nEU-China talks - what we know", []),
    ("Bridge opens\nThe vote — a close one — passed.", []),
    ("Bridge opens\nThe bridge was designed by Anna Berg.", []),
    # a full stop after the date or the service ends a dateline; a place and a date need nothing after them
    ("Bridge opens\nTALLINN, December 3. The mayor spoke.", ["TALLINN, December 3. "]),
    ("Bridge opens\nTALLINN, Dec. 3 (Wire). The mayor spoke.", ["TALLINN, Dec. 3 (Wire). "]),
    ("Bridge opens\nTALLINN, December 3. /Wire/. The mayor spoke.", ["TALLINN, December 3. /Wire/. "]),
    ("Bridge opens\nTARTU. Dec 3 (Wire-Estonia) - The mayor spoke.", ["TARTU. Dec 3 (Wire-Estonia) - "]),
    ("Bridge opens\nNARVA, Dec 3 /Wire/ - The mayor spoke.", ["NARVA, Dec 3 /Wire/ - "]),
    ("Bridge opens\nNARVA, Dec 3 The mayor spoke.", ["NARVA, Dec 3 "]),
    # ... but a place alone needs a dash after a space
    ("Bridge opens\nESTONIA OPENS BRIDGE.\nThe mayor spoke.", []),
    ("Bridge opens\nNATO-led drills began.", []),
    # datelines and bylines only open an article (its first five lines that are not blank)
    ("One\nTwo\nThree\nFour\nFive\nTALLINN (Wire) — The mayor spoke.", []),
    ("One\n\nTwo\n\nThree\n\nTALLINN (Wire) — The mayor spoke.", ["TALLINN (Wire) — "]),
])
def test_credit_spans(text, credits):
    assert [text[start:end] for start, end in credit_spans(text)] == credits


def test_html_rows_of_a_table_are_read_as_pages_with_one_note(tmp_path):
    rows = [{"id": "page", "text": "<p>Talks <b>resumed</b>.</p><script>alert(1)</script>"},
            {"id": "plain", "text": "Talks resumed in Geneva."},
            {"id": "page2", "text": "<div><p>Envoys met.</p></div>", "title": "Envoys"}]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.warns(CorpusWarning) as caught:
        corpus = newslens.load_corpus(tmp_path / "t.jsonl")
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["page", "text"] == "Talks resumed."  # the script is not text
    assert (docs.loc["page2", "text"], docs.loc["page2", "title"]) == ("Envoys met.", "Envoys")
    assert warning_messages(caught) == [
        "t.jsonl row 1 (id 'page'): an HTML page, not plain text: its article text was taken from the markup; so "
        "were 1 more row(s) of the table (repaired)"]


def test_a_folder_of_saved_web_pages(tmp_path):
    page = ("<!DOCTYPE html><html><head><title>Bridge opens | Harbour Post</title>"
            '<meta property="og:site_name" content="Harbour Post">'
            '<meta property="article:published_time" content="2025-12-03T09:30:00+02:00"></head>'
            "<body><header><nav><a href='/'>Home</a><a href='/city'>City</a></nav></header>"
            "<article><h1>Bridge opens</h1><p>The mayor opened the new bridge on <b>Wednesday</b>.</p>"
            "<figure><img src='a.jpg'><figcaption>At dawn</figcaption></figure>"
            "<p>&quot;Worth the wait,&quot; she said.</p><aside>Read more: ferries</aside></article>"
            "<footer>Cookies and terms</footer></body></html>")
    write(tmp_path, "bridge.html", page)
    write(tmp_path, "ferry.htm", "<html><body><main><p>The ferry stopped.</p></main></body></html>")
    write(tmp_path, "metadata.csv", "file,outlet\nferry.htm,Wire\n")
    docs = newslens.load_corpus(tmp_path).documents.set_index("doc_id")
    assert docs.loc["bridge", "text"] == ('Bridge opens\n\nThe mayor opened the new bridge on Wednesday.\n\n'
                                         '"Worth the wait," she said.')
    assert tuple(docs.loc["bridge", ["title", "outlet", "published"]]) == ("Bridge opens", "Harbour Post", "2025-12-03")
    assert tuple(docs.loc["ferry", ["text", "outlet", "published"]]) == ("The ferry stopped.", "Wire", "")


def test_a_folder_is_listed_folder_by_folder(tmp_path):
    # Sorted by the parts of each name (a folder's files before a name that only starts like the folder), as when
    # names were sorted as lists of parts; a plain string sort would put "a-b.txt" and "a.txt" before "a/…".
    from newslens.corpus import _list_folder, _Problems

    for name in ["ab.txt", "a.txt", "a-b.txt", "a/x.txt", "a/b/y.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Talks resumed.", encoding="utf-8")
    assert _list_folder(tmp_path, _Problems()) == ["a/b/y.txt", "a/x.txt", "a-b.txt", "a.txt", "ab.txt"]


def test_the_language_model_is_loaded_before_reading_only_when_every_text_will_be_cleaned(tmp_path, monkeypatch):
    import newslens.corpus as corpus_module

    steps = []
    monkeypatch.setattr(corpus_module, "load_identifier", lambda: steps.append("model"))
    read_folder = corpus_module._read_folder
    monkeypatch.setattr(corpus_module, "_read_folder", lambda *args: steps.append("read") or read_folder(*args))
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Talks in Geneva\n\nThe delegations met on Monday and agreed to meet again.\n",
                                  encoding="utf-8")
    newslens.load_corpus(folder, cache_dir=tmp_path / "cache")  # an empty cache: every text is cleaned
    newslens.load_corpus(folder, cache_dir=tmp_path / "cache")  # its cleaning is cached: maybe no detection at all
    newslens.load_corpus(folder)  # no cache: every text is cleaned
    assert steps == ["model", "read", "read", "model", "read"]
