"""Tests for hpmob.criteria: every threshold is tabled, cited, and judged at its boundary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hpmob import criteria
from hpmob.criteria import CRITERIA, criteria_table, judge

CONSTANTS = [name for name in criteria.__all__ if name.isupper() and name != "CRITERIA"]


def test_every_constant_is_in_the_table_with_its_value():
    tab = criteria_table().set_index("name")
    assert sorted(tab.index) == sorted(CONSTANTS)
    for name in CONSTANTS:
        assert tab.loc[name, "value"] == getattr(criteria, name), name


def test_every_module_level_threshold_is_exported():
    # A constant added to the module but not to __all__ would escape the table test.
    module_constants = [n for n in vars(criteria) if n.isupper() and not n.startswith("_") and n != "CRITERIA"]
    assert sorted(module_constants) == sorted(CONSTANTS)


def test_table_is_tidy_and_cited():
    tab = criteria_table()
    assert list(tab.columns) == ["name", "value", "direction", "applies_to", "reference"]
    assert tab["name"].is_unique
    assert set(tab["direction"]) <= {">=", ">", "<=", "<"}
    assert tab["value"].dtype == float
    assert (tab["reference"].str.contains(r"\(\d{4}\)")).all(), "every reference names a year"
    assert (tab["applies_to"].str.len() > 0).all()


def test_table_is_a_copy():
    tab = criteria_table()
    tab.loc[0, "value"] = -1.0
    assert CRITERIA.loc[0, "value"] != -1.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALPHA_MIN", 0.70),
        ("ITEM_REST_MIN", 0.30),
        ("KMO_MIN", 0.60),
        ("KMO_ITEM_MIN", 0.50),
        ("BARTLETT_P", 0.05),
        ("LOADING_MIN", 0.50),
        ("CFI_MIN", 0.95),
        ("CFI_ACCEPTABLE", 0.90),
        ("TLI_MIN", 0.95),
        ("TLI_ACCEPTABLE", 0.90),
        ("RMSEA_MAX", 0.06),
        ("RMSEA_ACCEPTABLE", 0.08),
        ("SRMR_MAX", 0.08),
        ("CHISQ_DF_MAX", 3.0),
        ("CR_MIN", 0.70),
        ("AVE_MIN", 0.50),
        ("HTMT_MAX", 0.85),
        ("HTMT_LIBERAL", 0.90),
        ("DELTA_CFI_MAX", 0.01),
        ("DELTA_RMSEA_MAX", 0.015),
    ],
)
def test_values_are_the_published_cutoffs(name, value):
    assert getattr(criteria, name) == value


@pytest.mark.parametrize("name", CONSTANTS)
def test_judge_at_and_around_the_boundary(name):
    row = CRITERIA.set_index("name").loc[name]
    t, direction = row["value"], row["direction"]
    above, below = np.nextafter(t, np.inf), np.nextafter(t, -np.inf)
    expected = {
        ">=": (True, True, False),
        ">": (False, True, False),
        "<=": (True, False, True),
        "<": (False, False, True),
    }[direction]
    assert (judge(t, name), judge(above, name), judge(below, name)) == expected
    assert isinstance(judge(t, name), bool)


def test_judge_directions_by_example():
    assert judge(0.95, "CFI_MIN") and not judge(0.949, "CFI_MIN")
    assert judge(0.06, "RMSEA_MAX") and not judge(0.0601, "RMSEA_MAX")
    assert judge(0.049, "BARTLETT_P") and not judge(0.05, "BARTLETT_P")
    assert judge(0.85, "HTMT_MAX") and not judge(0.86, "HTMT_MAX")


def test_judge_vectorized_and_missing():
    assert judge([0.62, 0.48, np.nan], "AVE_MIN").tolist() == [True, False, False]
    s = pd.Series([0.7, 0.69, None], index=["AW", "RT", "PM"])
    out = judge(s, "CR_MIN")
    assert isinstance(out, pd.Series)
    assert out.to_dict() == {"AW": True, "RT": False, "PM": False}
    assert judge(math.nan, "CFI_MIN") is False
    assert judge(None, "CFI_MIN") is False
    assert judge(np.float64(0.97), "CFI_MIN") is True
    assert judge(1, "KMO_MIN") is True  # ints are numbers too


def test_judge_name_is_case_insensitive():
    assert judge(0.96, "cfi_min") is True


def test_judge_unknown_name_suggests():
    with pytest.raises(KeyError, match="CFI_MIN"):
        judge(0.9, "CFI_MN")
    with pytest.raises(TypeError, match="threshold name"):
        judge(0.9, 0.95)


def test_judge_rejects_text_values():
    with pytest.raises(TypeError, match="number"):
        judge("0.95", "CFI_MIN")
