"""Monte Carlo power analysis: mechanics, determinism across workers, sensible answers."""

import numpy as np
import pytest

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
    with pytest.raises(ValueError, match="at least 20 officials"):
        power_curve((10,), n_rep=2, seed=1)
    with pytest.raises(ValueError, match="n_rep"):
        power_curve((40,), n_rep=1, seed=1)
