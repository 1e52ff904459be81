import numpy as np
import pandas as pd
import pytest

from hpmob.tables import (
    format_number,
    format_p,
    format_table,
    render_table,
    split_columns,
    table_html,
)


def test_p_values_never_print_as_zero_or_nan():
    assert format_p(0.0) == "< .001"
    assert format_p(1e-12) == "< .001"
    assert format_p(0.001) == ".001"
    assert format_p(0.04951) == ".050"
    assert format_p(np.nan) == "—"
    assert format_p(pd.NA) == "—"


def test_rounding_by_kind_and_whole_numbers_as_integers():
    frame = pd.DataFrame({"n_agree": [411.0, 12.0], "est": [0.123456, -2.5], "p_adjusted": [0.0, 0.2]})
    cells = format_table(frame, kinds={"est": "estimate3"}, labels={"n_agree": "Officials agreeing"})
    assert list(cells.columns) == ["Officials agreeing", "Est", "P adjusted"]
    assert cells["Officials agreeing"].tolist() == ["411", "12"]
    assert cells["Est"].tolist() == ["0.123", "−2.500"]
    assert cells["P adjusted"].tolist() == ["< .001", ".200"]
    with pytest.raises(ValueError, match="kind"):
        format_number(1.0, "decimal")


def test_suppressed_cells_read_suppressed_and_the_footnote_says_why():
    # one label for small cells and their complements: "< 5" would be false for a complement of 45
    frame = pd.DataFrame({"group": ["a", "b"], "n": [40, 3], "mean": [3.2, pd.NA],
                          "suppressed": [False, True]}).astype({"mean": "Float64"})
    out = render_table(frame, suppressed="suppressed", min_cell=5).data
    assert ">suppressed<" in out and "&lt; 5" not in out
    assert "<NA>" not in out and "&lt;NA&gt;" not in out and "nan" not in out.lower()
    assert "fewer than 5 respondents, or a cell hidden with such a cell" in out
    assert "suppressed" not in format_table(frame, suppressed="suppressed").columns
    # a missing value that was not suppressed is a dash, and no footnote is added
    clean = render_table(frame.assign(suppressed=False)).data
    assert "—" in clean and "fewer than" not in clean


def test_confidence_interval_in_brackets_and_no_index():
    frame = pd.DataFrame({"est": [0.25], "ci.lower": [0.1], "ci.upper": [0.4]}, index=[7])
    cells = format_table(frame, ci={"95 % CI": ("ci.lower", "ci.upper")})
    assert cells.to_dict("records") == [{"Est": "0.25", "95 % CI": "[0.10, 0.40]"}]
    html = table_html(cells)
    assert ">7<" not in html and "<th" in html and 'class="hpmob-frame"' in html


def test_unknown_column_names_the_columns_it_has():
    with pytest.raises(KeyError, match="no column.*ci_low.*it has est"):
        format_table(pd.DataFrame({"est": [1.0]}), ci={"CI": ("ci_low", "ci_high")})


def test_wide_tables_split_into_parts_repeating_the_key_columns():
    wide = pd.DataFrame({"item": ["AW1", "AW2"], **{f"c{i}": [float(i), 0.5] for i in range(12)}})
    out = render_table(wide, caption="Wide", keep=["Item"], max_columns=7).data
    assert out.count("<table") == 2 and "(part 1 of 2)" in out and "(part 2 of 2)" in out
    assert out.count(">Item</th>") == 2
    parts = split_columns(format_table(wide), keep=["Item"], max_columns=7)
    assert [len(p.columns) for p in parts] == [7, 7]


def test_html_escapes_cell_text():
    html = table_html(pd.DataFrame({"claim": ["a < b & c"]}))
    assert "a &lt; b &amp; c" in html


def test_one_wide_row_reads_as_a_list_and_booleans_as_words():
    row = pd.DataFrame({"n": [357], "kmo": [0.8351], "bartlett_p": [0.0], "kmo_ok": [True], **{f"x{i}": [i] for i in range(8)}})
    html = render_table(row).data
    assert ">Statistic<" in html and ">Value<" in html and html.count("<tr>") == 1 + len(row.columns)
    assert "&lt; .001" in html and ">yes<" in html and "True" not in html
