"""Saving figures reproducibly, and the shared figure helpers on empty and small inputs."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from newslens import plots
from newslens.plots import heatmap, interval_plot, length_figure, save_figure, write_table


def test_save_figure_writes_stamp_free_files_and_closes(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    saved = save_figure(fig, "line", tmp_path)
    assert saved.png == tmp_path / "figures" / "line.png" and saved.svg.exists()
    assert not plt.fignum_exists(fig.number)  # closed: the notebook shows the saved PNG instead
    assert saved._repr_png_()[0] == saved.png.read_bytes()  # with its alt text and file name as metadata
    assert saved.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in saved.png.read_bytes()
    svg = saved.svg.read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg


def test_same_figure_twice_gives_identical_bytes(tmp_path):
    for name in ("a", "b"):
        fig, ax = plt.subplots()
        ax.bar(["x", "y"], [3, 1])
        save_figure(fig, name, tmp_path)
    folder = tmp_path / "figures"
    assert (folder / "a.png").read_bytes() == (folder / "b.png").read_bytes()
    assert (folder / "a.svg").read_bytes() == (folder / "b.svg").read_bytes()


def test_write_table_uses_unix_line_ends(tmp_path):
    path = write_table(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "t", tmp_path)
    assert path.read_bytes() == b"a,b\n1,x\n2,y\n"


def test_write_table_writes_parts_as_one_table(tmp_path):
    from newslens.parts import PartsWriter

    first = pd.DataFrame({"a": [1, 2], "b": ["x", "=y"]})
    writer = PartsWriter(first, tmp_path / "t.parquet")
    writer.add(first)
    writer.add(first.iloc[0:0])
    writer.add(pd.DataFrame({"a": [3], "b": ["z"]}))
    assert write_table(writer.done(), "t", tmp_path).read_bytes() == b"a,b\n1,x\n2,'=y\n3,z\n"


def test_write_table_rounds_floats_to_twelve_significant_digits(tmp_path):
    # Two values a last-bit apart (as CPU-specific log kernels give) must write the same bytes.
    table = pd.DataFrame({"x": [0.1 + 0.2, 0.3, 82.41758241758242, -0.0864870778974852, 1e-20, float("nan")],
                          "n": [1, 2, 3, 4, 5, 6]})
    assert write_table(table, "t", tmp_path).read_text() == (
        "x,n\n0.3,1\n0.3,2\n82.4175824176,3\n-0.0864870778975,4\n1e-20,5\n,6\n")
    # Single precision, pandas' nullable floats, infinities; a row whose only cell is missing is quoted, as the csv
    # module writes an empty row.
    table = pd.DataFrame({"f32": np.array([0.1, 2.5, np.nan], dtype=np.float32),
                          "nullable": pd.array([1.25, None, -0.0], dtype="Float64"), "big": [np.inf, -np.inf, 1e300]})
    assert write_table(table, "t", tmp_path).read_text() == (
        "f32,nullable,big\n0.10000000149,1.25,inf\n2.5,,-inf\n,-0,1e+300\n")
    assert write_table(pd.DataFrame({"x": [np.nan, 1.0]}), "t", tmp_path).read_text() == 'x\n""\n1\n'


def test_write_table_quotes_only_what_needs_quoting(tmp_path, monkeypatch):
    # Batches of about 45 bytes of CSV, one row first, at most three: the same bytes as any batching. By hand, from
    # the lines' lengths below (15, 15, 23, 22, 19, 11, 10, 24, 12, 25 bytes): 1 row; 45·1//15 = 3 rows;
    # 45·4//75 = 2; 45·6//105 = 2; 45·8//139 = 2.
    monkeypatch.setattr(plots, "_CSV_FIRST_ROWS", 1)
    monkeypatch.setattr(plots, "_CSV_MOST_ROWS", 3)
    monkeypatch.setattr(plots, "_CSV_BATCH_BYTES", 45)
    batches = []
    safe_frame = plots._safe_frame
    monkeypatch.setattr(plots, "_safe_frame", lambda batch: batches.append(len(batch)) or safe_frame(batch))
    table = pd.DataFrame({"text": ["plain", "a,b", 'say "no"', "two\nlines", "cr\rhere", "", None, "=HYPERLINK()",
                                   "-3", "Zelenskyy’s"],
                          "n": pd.array([1, None, -3, 4, 5, 6, 7, 8, 9, 10], dtype="Int64"),
                          "ok": [True, False] * 5, "a,b": ["x"] * 10})
    assert write_table(table, "t", tmp_path).read_bytes().decode("utf-8") == (
        'text,n,ok,"a,b"\nplain,1,True,x\n"a,b",,False,x\n"say ""no""",-3,True,x\n"two\nlines",4,False,x\n'
        '"cr\rhere",5,True,x\n,6,False,x\n,7,True,x\n\'=HYPERLINK(),8,False,x\n-3,9,True,x\nZelenskyy’s,10,False,x\n')
    assert batches == [1, 3, 2, 2, 2]
    one = pd.DataFrame({"x": ["", None, "a"]})  # a row of one empty field is quoted, or it would read as a blank line
    assert write_table(one, "t", tmp_path).read_text() == 'x\n""\n""\na\n'
    assert write_table(pd.DataFrame({"a": [], "n": []}), "t", tmp_path).read_text() == "a,n\n"


def test_write_table_writes_dates_and_lists_as_pandas_does(tmp_path):
    table = pd.DataFrame({"day": pd.to_datetime(["2025-02-28", "2025-03-01"]), "names": [["Putin"], []]})
    assert write_table(table, "t", tmp_path).read_text() == "day,names\n2025-02-28,['Putin']\n2025-03-01,[]\n"


def test_heatmap_and_interval_plot_cope_with_empty_and_cut_tables():
    assert heatmap(pd.DataFrame(), "empty", "n").axes[0].get_title() == "empty"
    big = pd.DataFrame([[i * j for j in range(50)] for i in range(3)])
    assert heatmap(big, "big", "n").axes[0].get_title() == "big (first 3 × 40)"
    empty = pd.DataFrame(columns=["actor", "method", "mean_sentiment", "ci_low", "ci_high"])
    assert interval_plot(empty, "none").axes[0].get_title() == "none"
    summary = pd.DataFrame({"actor": ["A", "A", "B"], "method": ["model", "vader", "model"],
                            "mean_sentiment": [0.5, 0.1, -0.2], "ci_low": [0.2, -0.1, -0.5],
                            "ci_high": [0.8, 0.3, 0.1], "scored": [1200, 1100, 4]})
    ax = interval_plot(summary, "tone").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A (n = 1,200 / 1,100)", "B (n = 4)"]
    ax = interval_plot(summary, "tone", count=None).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    assert len(ax.get_legend().get_texts()) == 2
    plt.close("all")


def test_length_figure_switches_to_histogram_for_many_documents():
    # Bars are labelled by title (shortened to 40 characters); an untitled document or a clash shows its doc_id.
    few = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "n_chars_raw": [10, 20, 5, 5], "n_chars_clean": [8, 20, 5, 5],
                        "title": ["Talks in Geneva end without a deal, officials in Kyiv say", "", "Same", "Same"]})
    assert [t.get_text() for t in length_figure(few).axes[0].get_yticklabels()] == [
        "Talks in Geneva end without a deal…", "b", "Same (c)", "Same (d)"]
    many = pd.DataFrame({"doc_id": [f"d{i}" for i in range(100)], "n_chars_raw": range(100),
                         "n_chars_clean": range(100), "title": ["t"] * 100})
    assert length_figure(many).axes[0].get_ylabel() == "documents"
    plt.close("all")


def test_article_text_with_dollars_is_drawn_as_written(tmp_path):
    # With mathtext on, "$\href{x}$" fails to save (unknown symbol) and "$5 ... $7" is set in italics as maths.
    documents = pd.DataFrame({"title": ["aid of $5 billion and $7 billion", r"odd $\href{x}$ title"],
                              "doc_id": ["a", "b"], "n_chars_raw": [10, 20], "n_chars_clean": [8, 20]})
    fig = length_figure(documents)
    labels = fig.axes[0].get_yticklabels()
    assert [t.get_text() for t in labels] == list(documents["title"])
    assert not any(t.get_parse_math() for t in labels)
    saved = save_figure(fig, "dollars", tmp_path)
    assert saved.png.exists() and saved.svg.exists()
