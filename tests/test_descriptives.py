"""Issue acceptance on the shipped data: reliability table shape and recovery of the population alpha."""

import numpy as np
import pytest

from hpmob.clean import clean_export
from hpmob.codebook import load_codebook
from hpmob.io import load_export
from hpmob.reliability import reliability_table
from hpmob.score import composite_scores, reverse_key
from hpmob.simulate import implied_item_covariance


@pytest.fixture(scope="module")
def analysed(root):
    cb = load_codebook()
    return cb, clean_export(load_export(root / "data" / "raw" / "hpmob_survey_export.csv", cb), cb).responses


def _alpha_from_covariance(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return k / (k - 1) * (1 - np.trace(cov) / cov.sum())


def test_reliability_table_recovers_the_population_alpha(analysed):
    cb, responses = analysed
    table = reliability_table(reverse_key(responses, cb), {c: cb.items_of(c) for c in cb.reflective_constructs})
    assert list(table.columns[:7]) == ["construct", "n_items", "n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega"]
    assert list(table["construct"]) == cb.reflective_constructs
    for row in table.itertuples():
        # population alpha of the 1-5 answers: exact moments of the categorized normal
        # y* implied by the true parameters, mixed over governance levels
        implied = _alpha_from_covariance(implied_item_covariance(cb.items_of(row.construct)).to_numpy())
        assert row.alpha == pytest.approx(implied, abs=0.05), row.construct
        assert row.alpha_ci_low < row.alpha < row.alpha_ci_high


def test_flipping_a_reverse_flag_changes_the_composite_as_it_must(analysed):
    cb, responses = analysed
    items = cb.items_of("AW")
    flipped = cb.with_reverse("AW5", False)
    before = composite_scores(responses, cb, constructs="AW", min_items=1.0)["AW"]
    after = composite_scores(responses, flipped, constructs="AW", min_items=1.0)["AW"]
    # keyed AW5 = 6 - raw; unkeyed = raw: the mean moves by (raw - (6 - raw)) / 5
    expected = before + (2 * responses["AW5"].astype(float) - 6) / len(items)
    mask = responses[items].notna().all(axis=1)
    assert np.allclose(after[mask], expected[mask])
    assert (after[mask] != before[mask]).any()
