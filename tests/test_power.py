"""Monte Carlo power analysis: mechanics, determinism across workers, sensible answers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpmob.power import power_curve, required_n


@pytest.mark.slow
def test_power_curve_is_deterministic_and_grows_where_the_effect_is_moderate():
    one = power_curve((40, 160), n_rep=12, seed=11, n_jobs=1)
    two = power_curve((40, 160), n_rep=12, seed=11, n_jobs=2)
    assert one.equals(two)  # seeds per replicate: workers do not matter
    assert list(one.columns) == ["n_per_level", "n_total", "effect", "power", "mc_se", "n_rep"]
    p = one.set_index(["effect", "n_per_level"])["power"]
    # commune - city (about 1 latent SD in the population model) is detected even at 40 per level
    assert p[("H6 commune-city", 40)] >= 0.9
    # the smaller district - city gap needs the larger sample
    assert p[("H6 district-city", 160)] >= p[("H6 district-city", 40)]
    assert np.allclose(one["mc_se"], np.sqrt(one["power"] * (1 - one["power"]) / 12))


def test_required_n_and_bad_input():
    import pandas as pd

    curve = pd.DataFrame({"n_per_level": [40, 80, 40, 80], "effect": ["a", "a", "b", "b"],
                          "power": [0.5, 0.85, 0.2, 0.6]})
    out = required_n(curve, 0.8).set_index("effect")["n_per_level"]
    assert out["a"] == 80 and np.isnan(out["b"])
    with pytest.raises(ValueError, match="at least 20 respondents per group"):
        power_curve((10,), n_rep=2, seed=1)
    with pytest.raises(ValueError, match="n_rep"):
        power_curve((40,), n_rep=1, seed=1)


@pytest.fixture(scope="module")
def shipped_level_sizes(root):
    """Officials per level in the shipped analysed sample (cleaned here, not read from a build)."""
    from hpmob.clean import clean_export
    from hpmob.codebook import load_codebook
    from hpmob.io import read_export

    cb = load_codebook()
    responses = clean_export(read_export(root / "data" / "raw" / "hpmob_survey_export.csv"), cb).responses
    return responses["level"].value_counts()


@pytest.mark.parametrize("d", [0.2, 0.35, 0.5])
def test_monte_carlo_power_matches_the_closed_form_at_the_shipped_sample_size(shipped_level_sizes, d):
    """The engine behind power_curve, on the one case with a closed form: a two-group mean difference.

    City vs commune officials at the shipped sizes; the reference is the noncentral-t power of
    Student's t-test (pingouin.power_ttest2n). Tolerance: 3.5 Monte Carlo SE of the closed-form
    power over 4000 replicates (|z| > 3.5 has probability 5e-4 under a correct engine).
    """
    import pingouin as pg

    from hpmob.power import two_group_power

    n1, n2 = int(shipped_level_sizes["city"]), int(shipped_level_sizes["commune"])
    assert n1 >= 50 and n2 >= 50  # a real sample, not an empty fixture
    n_rep = 4000
    mc = two_group_power(n1, n2, d, n_rep=n_rep, seed=20251125).iloc[0]
    exact = pg.power_ttest2n(nx=n1, ny=n2, d=d, alpha=0.05)
    tolerance = 3.5 * np.sqrt(exact * (1 - exact) / n_rep)
    assert abs(mc["power"] - exact) < tolerance, (mc["power"], exact, tolerance)
    assert mc["mc_se"] == pytest.approx(np.sqrt(mc["power"] * (1 - mc["power"]) / n_rep))


def test_simulate_power_does_not_depend_on_workers_and_detects_nothing_at_zero_effect():
    from hpmob.power import two_group_power

    one = two_group_power(40, 40, 0.0, n_rep=400, seed=3, n_jobs=1)
    two = two_group_power(40, 40, 0.0, n_rep=400, seed=3, n_jobs=2)
    assert one.equals(two)
    # at d = 0 power is the type I error rate, 0.05, within 3.5 MC SE
    assert abs(one["power"].iloc[0] - 0.05) < 3.5 * np.sqrt(0.05 * 0.95 / 400)


# --- each replicate runs the study's decision procedure (acceptance: partial-invariance search) ---
def _population(shifts):
    import copy

    from hpmob.power import _equal_levels
    from hpmob.simulate import load_population_model

    model = _equal_levels(load_population_model())
    model = copy.deepcopy(model)
    model["intercept_shifts"] = shifts
    return model


@pytest.mark.parametrize("shifts, freed", [
    ({}, ()),                                    # no non-invariant item: the search frees nothing
    ({"IM2": {"commune": -0.6}}, ("IM2~1",)),    # another item than the shipped PM3: the search finds it
    ({"PM3": {"commune": -0.5}}, ("PM3~1",)),    # the shipped population model
])
def test_a_power_replicate_searches_for_the_non_invariant_intercept(shifts, freed):
    from hpmob.codebook import load_codebook
    from hpmob.power import decide
    from hpmob.simulate import simulate_sample
    from hpmob.study.plan import load_plan

    cb = load_codebook()
    plan = load_plan(codebook=cb)
    for seed in (1, 2):
        sample = simulate_sample(1200, seed, model=_population(shifts), codebook=cb)
        decisions = decide(sample.attributes.join(sample.answers), cb, plan, seed=seed)
        assert decisions["freed"] == freed, (shifts, seed, decisions)
        assert set(decisions) == {"freed", "H6 commune-city", "H6 district-city", "H3 indirect"}


def test_power_curve_replicates_are_the_study_decisions(monkeypatch):
    """power_curve's replicate is power._study_replicate, which calls power.decide (the study steps)."""
    import hpmob.power as power

    calls = []
    real = power.decide

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out["freed"])
        return out

    monkeypatch.setattr(power, "decide", spy)
    curve = power.power_curve((40,), n_rep=2, seed=3, n_jobs=1)
    assert len(calls) == 2 and set(curve["effect"]) == {"H6 commune-city", "H6 district-city", "H3 indirect"}


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(20, 400), min_size=1, max_size=6, unique=True),
       data=st.data())
def test_the_worded_requirement_brackets_the_first_simulated_size_that_reaches_the_target(sizes, data):
    """The bound the book prints (study.sentences.power_bound) holds on the curve it came from:
    power at the upper end reaches the target and power at every size below the lower end does not."""
    import pandas as pd

    from hpmob.study import sentences as S

    sizes = sorted(sizes)
    power = data.draw(st.lists(st.floats(0, 1), min_size=len(sizes), max_size=len(sizes)))
    curve = pd.DataFrame({"n_per_level": sizes, "effect": "H1 indirect", "power": power})
    needed = S.power_bounds(required_n(curve, 0.8), sizes)
    text = needed["needed_per_level"].iloc[0]
    reached = [n for n, p in zip(sizes, power) if p >= 0.8]
    if not reached:
        assert text == f"more than {sizes[-1]}"
        assert "which no simulated size reaches" in S.power_requirements(needed, sizes, 10)["en"]
        return
    first = reached[0]
    if first == sizes[0]:
        assert text == f"at most {first}"
    else:
        low, high = map(int, text.split("–"))
        assert high == first and low == sizes[sizes.index(first) - 1] + 1
    assert all(p < 0.8 for n, p in zip(sizes, power) if n < first)
    sentence = S.power_requirements(needed, sizes, 10, {"en": "Governance level", "vi": "Cấp"})
    assert f"{text} per governance level for the indirect effect (H1)" in sentence["en"]
    assert "80 % power" in sentence["en"] and "độ mạnh 80 %" in sentence["vi"]
