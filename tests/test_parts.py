"""Tables kept in parts (newslens.parts): written part by part, read back part by part with their dtypes."""
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newslens.parts import (Parts, PartsWriter, PartsWriters, batches_of, distinct_count, empty_like,
                            first_groups)


def frame(rows):
    """Parts of a scored-mentions-like table: text, object text with None, nullable integers, booleans, floats."""
    table = pd.DataFrame(rows, columns=["doc_id", "quoted_by", "clause_start", "excluded", "score"])
    return table.astype({"doc_id": "str", "quoted_by": "object", "clause_start": "Int64", "excluded": "bool",
                         "score": "float64"})


FIRST = frame([("a", None, 3, False, 0.5), ("a", None, None, True, float("nan"))])  # quoted_by all None
SECOND = frame([("b", "Putin", 7, False, -0.25)])


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_parts_come_back_in_order_with_their_dtypes(tmp_path, on_disk):
    writer = PartsWriter(FIRST, tmp_path / "t.parquet" if on_disk else None)
    for part in (FIRST, FIRST.iloc[0:0], SECOND):  # an empty part is kept: parts of two tables stay aligned
        writer.add(part)
    parts = writer.done()
    assert len(parts) == 3 and list(parts.columns) == list(FIRST.columns)
    got = list(parts)
    assert [len(part) for part in got] == [2, 0, 1]
    pd.testing.assert_frame_equal(got[0], FIRST)
    assert dict(got[1].dtypes) == dict(FIRST.dtypes)
    pd.testing.assert_frame_equal(got[2], SECOND)
    assert got[2]["quoted_by"].tolist() == ["Putin"] and got[0]["quoted_by"].tolist() == [None, None]
    narrow = list(parts.frames(["doc_id", "score"]))
    assert [list(part.columns) for part in narrow] == [["doc_id", "score"]] * 3
    assert narrow[0]["doc_id"].tolist() == ["a", "a"] and narrow[2]["score"].tolist() == [-0.25]
    assert parts.whole(["quoted_by"])["quoted_by"].tolist() == [None, None, "Putin"]
    pd.testing.assert_frame_equal(parts.head(3), pd.concat([FIRST, SECOND], ignore_index=True))
    pd.testing.assert_frame_equal(parts.head(1), FIRST.head(1))
    pd.testing.assert_frame_equal(parts.head(10), pd.concat([FIRST, SECOND], ignore_index=True))  # all there is
    assert len(parts.head(0)) == 0 and dict(parts.head(0).dtypes) == dict(FIRST.dtypes)
    pd.testing.assert_frame_equal(parts.whole(), pd.concat([FIRST, SECOND], ignore_index=True))
    pd.testing.assert_frame_equal(parts.part(2), SECOND)  # one part alone
    assert len(parts.part(1)) == 0 and parts.part(0)["quoted_by"].tolist() == [None, None]


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_several_tables_written_together_each_in_its_file(tmp_path, on_disk):
    writers = PartsWriters(tmp_path if on_disk else None)
    for first, second in ((FIRST, SECOND), (SECOND, FIRST.iloc[0:0])):
        writers.add("one", first)
        writers.add("two", second)
    one, two = writers.done("one"), writers.done("two")
    assert [len(part) for part in one] == [2, 1] and [len(part) for part in two] == [1, 0]
    pd.testing.assert_frame_equal(two.whole(), SECOND)
    assert sorted(path.name for path in tmp_path.iterdir()) == (["one.parquet", "two.parquet"] if on_disk else [])


@pytest.mark.parametrize("source_on_disk", [True, False], ids=["from-file", "from-memory"])
@pytest.mark.parametrize("on_disk", [True, False], ids=["to-file", "to-memory"])
def test_the_parts_of_another_table_are_added_as_they_are(tmp_path, source_on_disk, on_disk):
    source = PartsWriter(FIRST, tmp_path / "source.parquet" if source_on_disk else None)
    for part in (FIRST, FIRST.iloc[0:0]):
        source.add(part)
    empty_source = PartsWriter(FIRST, tmp_path / "empty.parquet" if source_on_disk else None).done()
    (tmp_path / "out").mkdir()
    writers = PartsWriters(tmp_path / "out" if on_disk else None)
    writers.add_parts("t", source.done())  # makes the table, with the source's columns and dtypes
    writers.add("t", SECOND)
    writers.add_parts("t", empty_source)  # no part at all: one empty part, as iterating it gives
    parts = writers.done("t")
    assert len(parts) == 3 and [len(part) for part in parts] == [2, 0, 1, 0]
    got = list(parts)
    pd.testing.assert_frame_equal(got[0], FIRST)
    pd.testing.assert_frame_equal(got[2], SECOND)
    assert got[0]["quoted_by"].tolist() == [None, None] and dict(got[3].dtypes) == dict(FIRST.dtypes)
    with pytest.raises(ValueError, match="columns"):
        PartsWriter(SECOND.drop(columns="score")).add_parts(parts)


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_batches_go_through_the_rows_in_order_whatever_the_parts(tmp_path, on_disk):
    writer = PartsWriter(FIRST, tmp_path / "t.parquet" if on_disk else None)
    for part in (FIRST, FIRST.iloc[0:0], SECOND, FIRST):
        writer.add(part)
    parts = writer.done()
    whole = pd.concat([FIRST, SECOND, FIRST], ignore_index=True)
    ones = list(parts.batches(rows=1))
    assert [len(batch) for batch in ones] == [1] * 5
    pd.testing.assert_frame_equal(pd.concat(ones, ignore_index=True), whole)
    pairs = list(parts.batches(["score", "doc_id"], rows=2))
    assert all(0 < len(batch) <= 2 for batch in pairs) and all(list(b.columns) == ["score", "doc_id"] for b in pairs)
    pd.testing.assert_frame_equal(pd.concat(pairs, ignore_index=True), whole[["score", "doc_id"]])
    (empty,) = list(PartsWriter(FIRST, tmp_path / "e.parquet" if on_disk else None).done().batches(["doc_id"]))
    assert len(empty) == 0 and dict(empty.dtypes) == {"doc_id": FIRST["doc_id"].dtype}


def test_batches_of_a_frame_is_the_frame_and_of_parts_their_batches(tmp_path, monkeypatch):
    (frame,) = list(batches_of(FIRST, ["score"]))
    pd.testing.assert_frame_equal(frame, FIRST[["score"]])
    assert list(batches_of(SECOND))[0] is SECOND
    writer = PartsWriter(FIRST, tmp_path / "t.parquet")
    for part in (FIRST, SECOND):
        writer.add(part)
    monkeypatch.setattr("newslens.parts.BATCH_ROWS", 2)  # read at call time: 3 rows in batches of 2 and 1
    batches = list(batches_of(writer.done(), ["doc_id"]))
    assert [len(b) for b in batches] == [2, 1]
    assert pd.concat(batches)["doc_id"].tolist() == FIRST["doc_id"].tolist() + SECOND["doc_id"].tolist()


def test_no_parts_give_one_empty_part_with_the_columns(tmp_path):
    parts = PartsWriter(FIRST, tmp_path / "t.parquet").done()
    assert len(parts) == 0
    (only,) = list(parts)
    assert len(only) == 0 and dict(only.dtypes) == dict(FIRST.dtypes)
    assert len(parts.part(0)) == 0 and dict(parts.part(0).dtypes) == dict(FIRST.dtypes)


def test_a_template_keeps_the_columns_and_dtypes_but_none_of_the_rows_memory():
    big = pd.DataFrame({"doc_id": ["x" * 100] * 1000, "start": range(1000)}).astype({"doc_id": "str", "start": "Int64"})

    def arrow_bytes(table):  # the bytes of every buffer the table's columns hold
        return pa.Table.from_pandas(table, preserve_index=False).get_total_buffer_size()

    assert arrow_bytes(big.iloc[0:0]) >= 1000 * 100  # a view of no rows holds the 100,000 characters of text
    for template in (empty_like(big), PartsWriter(big).template, Parts(big).empty):
        assert len(template) == 0 and dict(template.dtypes) == dict(big.dtypes)
        assert arrow_bytes(template) < 100


def test_a_part_with_other_columns_is_refused(tmp_path):
    writer = PartsWriter(FIRST, tmp_path / "t.parquet")
    with pytest.raises(ValueError, match="columns"):
        writer.add(SECOND.drop(columns="score"))


def test_an_unreadable_parts_file_names_the_file(tmp_path):
    writer = PartsWriter(FIRST, tmp_path / "t.parquet")
    writer.add(FIRST)
    parts = writer.done()
    (tmp_path / "t.parquet").write_bytes(b"not parquet")
    with pytest.raises(OSError, match="t.parquet"):
        list(parts)


def test_a_large_part_is_stored_as_row_groups_and_copied_one_at_a_time(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from newslens import parts as parts_module

    monkeypatch.setattr(parts_module, "ROW_GROUP_ROWS", 2)
    five = pd.concat([FIRST, SECOND, FIRST], ignore_index=True)  # rows a a b a a: row groups of 2, 2 and 1
    source = PartsWriter(FIRST, tmp_path / "source.parquet")
    for part in (five, FIRST.iloc[0:0], SECOND):
        source.add(part)
    source = source.done()
    stored = pq.ParquetFile(tmp_path / "source.parquet")
    assert [stored.metadata.row_group(i).num_rows for i in range(stored.num_row_groups)] == [2, 2, 1, 0, 1]
    assert [len(part) for part in source] == [5, 0, 1]
    pd.testing.assert_frame_equal(source.part(0), five)
    pd.testing.assert_frame_equal(source.part(2), SECOND)
    read = []
    real = pq.ParquetFile.read_row_group
    monkeypatch.setattr(pq.ParquetFile, "read_row_group",
                        lambda self, i, *args, **kwargs: read.append(i) or real(self, i, *args, **kwargs))
    copy = PartsWriter(FIRST, tmp_path / "copy.parquet")
    copy.add_parts(source)
    copy.add(SECOND)
    copy = copy.done()
    assert read == [0, 1, 2, 3, 4]  # one row group at a time, never a part of five rows whole
    assert [len(part) for part in copy] == [5, 0, 1, 1]
    pd.testing.assert_frame_equal(copy.part(0), five)
    pd.testing.assert_frame_equal(copy.part(3), SECOND)


def test_a_parts_file_whose_row_groups_are_not_its_parts_names_the_file(tmp_path):
    FIRST.to_parquet(tmp_path / "t.parquet", index=False)  # one row group, no parts listed
    parts = Parts(FIRST, path=tmp_path / "t.parquet", rows=2)
    with pytest.raises(OSError, match="t.parquet"):
        list(parts)


@pytest.mark.parametrize("listed, expected", [
    ("[2, 1, 3]", [[0, 1], [2], [3, 4, 5]]),
    ("[6]", [[0, 1, 2, 3, 4, 5]]),
    ("[2, 1, 2]", None),  # five row groups listed, six in the file
    ("[2, 0, 4]", None),  # a part of no row group
    ("[true, 2, 3]", None),  # not a number of row groups
    ('{"a": 6}', None),
    ("[2, 1", None),
])
def test_row_groups_of_parts_from_a_files_listing(tmp_path, listed, expected):
    from newslens.parts import row_groups_of_parts

    table = pa.table({"n": list(range(6))}).replace_schema_metadata({"newslens.part_row_groups": listed})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=1)  # six row groups of one row
    metadata = pq.read_metadata(tmp_path / "t.parquet")
    assert metadata.num_row_groups == 6
    if expected is None:
        with pytest.raises(ValueError, match="not those of its parts"):
            row_groups_of_parts(metadata)
    else:
        assert row_groups_of_parts(metadata) == expected


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_first_groups_and_distinct_count_of_parts_and_frames(tmp_path, on_disk):
    # Three parts of a per-document table: documents a, b | c | a (a again: counted once).
    rows = [frame([(d, None, n, False, 0.0)]) for d, n in (("a", 1), ("a", 2), ("b", 3))]
    writer = PartsWriter(FIRST, tmp_path / "t.parquet" if on_disk else None)
    writer.add(pd.concat(rows, ignore_index=True))
    writer.add(frame([("c", None, 4, False, 0.0)]))
    writer.add(frame([("a", None, 5, False, 0.0)]))
    parts = writer.done()
    assert first_groups(parts, 1)["clause_start"].tolist() == [1, 2]
    assert first_groups(parts, 2)["clause_start"].tolist() == [1, 2, 3]
    assert first_groups(parts, 3)["clause_start"].tolist() == [1, 2, 3, 4]  # stops at the part that completes 3
    assert first_groups(parts.head(4), 2)["doc_id"].tolist() == ["a", "a", "b"]  # a DataFrame: a, a, b, c
    assert distinct_count(parts, "doc_id") == 3 and distinct_count(parts.whole(), "doc_id") == 3
    assert len(first_groups(FIRST.iloc[0:0], 3)) == 0 and distinct_count(FIRST.iloc[0:0], "doc_id") == 0


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_list_columns_come_back_as_arrow_lists_of_python_lists(tmp_path, on_disk):
    import pyarrow as pa

    lists = pd.ArrowDtype(pa.list_(pa.string()))
    first = pd.DataFrame({"doc_id": ["a", "b"], "actors": pd.array([["Russia", "Ukraine"], []], dtype=lists)})
    second = pd.DataFrame({"doc_id": ["c"], "actors": pd.array([["a; b", "é"]], dtype=lists)})
    writer = PartsWriter(first, tmp_path / "t.parquet" if on_disk else None)
    writer.add(first)
    writer.add(second)
    parts = writer.done()
    whole = parts.whole()
    assert isinstance(whole["actors"].dtype, pd.ArrowDtype)  # not numpy arrays of Python objects
    assert whole["actors"].tolist() == [["Russia", "Ukraine"], [], ["a; b", "é"]]
    assert [row.actors for row in parts.part(1).itertuples()] == [["a; b", "é"]]
    assert isinstance(parts.head(0)["actors"].dtype, pd.ArrowDtype)


def test_a_whole_table_read_mapped_keeps_its_text_and_lists_in_the_mapped_file(tmp_path):
    import pyarrow as pa

    lists = pd.ArrowDtype(pa.list_(pa.string()))

    def events(rows):
        return pd.DataFrame(rows, columns=["text", "sources", "n"]).astype({"text": "str", "sources": lists,
                                                                            "n": "int64"})

    first = events([("x" * 3_000_000, ["a", "b"], 2)])
    second = events([("talks in «Женева»", ["c"], 1), ("", [], 0)])
    writer = PartsWriter(first, tmp_path / "events.parquet")
    writer.add(first)
    writer.add(second)
    parts = writer.done()
    before = pa.total_allocated_bytes()
    whole = parts.whole(mapped_in=tmp_path / "mapped")
    # The 3 MB text is not in Arrow's memory (nor copied by pandas): it is read from the mapped file.
    assert pa.total_allocated_bytes() - before < 500_000
    assert whole["text"].tolist() == ["x" * 3_000_000, "talks in «Женева»", ""]
    assert [list(value) for value in whole["sources"]] == [["a", "b"], ["c"], []]
    assert whole["n"].tolist() == [2, 1, 0]
    assert dict(whole.dtypes) == dict(first.dtypes)  # the same dtypes as read into memory
    assert list((tmp_path / "mapped").iterdir()) == []  # the file has no name: nothing to clean up
    assert parts.whole(["n"], mapped_in=tmp_path / "mapped")["n"].tolist() == [2, 1, 0]
