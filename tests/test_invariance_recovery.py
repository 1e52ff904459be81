"""Parameter recovery: CI coverage of latent mean differences across governance levels.

50 samples of 450 officials are drawn from the population model; on each, the partial
scalar model (PM3's intercept free, as the population model's non-invariance requires)
is fitted to the continuous item responses y*, for which the model is exactly right.
95 % intervals for the district - city and commune - city differences of PM must cover
the true values 90-98 % of the time (100 intervals: the binomial SD of the coverage is
about 2.2 points). Runs in about 10 s, so it stays in `make test`.
"""

import warnings

import pytest

from hpmob.codebook import load_codebook
from hpmob.sem import fit_multigroup, latent_mean_differences
from hpmob.simulate import implied_ystar_moments, simulate_sample
from hpmob.study.models import measurement_syntax as measurement_model

LEVELS = ["city", "district", "commune"]


@pytest.mark.slow
def test_latent_mean_difference_intervals_cover_the_truth():
    cb = load_codebook()
    model = measurement_model(cb, ["AW", "PM", "IM"])
    moments = implied_ystar_moments()
    # PM1's loading is fixed to 1, so latent differences are in PM1's units: E[PM1 | level] - E[PM1 | city]
    truth = {lev: moments[lev][0]["PM1"] - moments["city"][0]["PM1"] for lev in LEVELS[1:]}
    covered, total = 0, 0
    for k in range(50):
        sample = simulate_sample(450, seed=1000 + k)
        data = sample.ystar.join(sample.attributes["level"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = fit_multigroup(model, data, "level", group_order=LEVELS,
                                    group_equal=("loadings", "intercepts"), group_partial=("PM3~1",))
        diffs = latent_mean_differences(fitted, "PM").set_index("group_label")
        for lev in LEVELS[1:]:
            total += 1
            covered += diffs.loc[lev, "ci.lower"] <= truth[lev] <= diffs.loc[lev, "ci.upper"]
    coverage = covered / total
    assert 0.90 <= coverage <= 0.98, f"coverage {coverage:.2f} over {total} intervals"
