"""What a study step puts on a page: no empty table frames, no "-0.000" in a sentence."""

import pandas as pd

from hpmob.study.result import StepResult
from hpmob.study.sentences import invariance_sequence


def test_an_empty_table_says_so_in_one_line_and_a_full_one_is_rendered():
    res = StepResult(step="x", tables={"none": pd.DataFrame(columns=["item", "dmacs"]),
                                       "some": pd.DataFrame({"item": ["A1"], "dmacs": [0.123]})})
    # not an empty output, which shows its repr, and not a bare "Nothing to list": it names the table
    assert res.table("none").data == "*The results table none.csv: nothing to list.*"
    assert res.table("none", empty="no item was freed").data == "*The results table none.csv: no item was freed.*"
    assert res.table("none", caption="dMACS").data == "*dMACS: nothing to list.*"
    assert "0.123" in res.table("some").data


def test_a_difference_that_rounds_to_zero_is_written_without_a_sign():
    text = invariance_sequence({"metric": "invariant", "scalar": "not invariant"},
                               {"metric": (-0.0004, -0.00001), "scalar": (-0.0123, 0.0051)})
    assert "ΔCFI = 0.000, ΔRMSEA = 0.000" in text["en"] and "-0.000" not in text["en"] + text["vi"]
    assert "ΔCFI = -0.012, ΔRMSEA = 0.005" in text["en"]
