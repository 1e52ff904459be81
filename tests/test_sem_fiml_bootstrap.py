"""The fast route of FIML bootstrap refits (``hpmob.sem.fiml_bootstrap``) against the slow one.

The fast route evaluates the likelihood of a resample from the data's patterns with row
weights (``fiml.Resample``, ``fiml.minus2_loglik_weighted``) and iterates quasi-Newton from
the full-sample Hessian. Checked here: the weighted likelihood, gradient terms included,
equals the likelihood of the resampled data matrix (closed-form identity, 1e-12 relative),
and a fast refit equals a tightly converged FIML fit of the resampled matrix (Fisher scoring
and BFGS on the resample's own patterns, then Fisher-scoring polish to a gradient below
1e-11) to 1e-8 relative. The FIML fit itself is checked against lavaan in test_sem_fiml.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpmob.sem import fit
from hpmob.sem.fiml import (
    Patterns,
    Resample,
    _minus2_loglik_weighted_blocks,
    minus2_loglik,
    minus2_loglik_weighted,
)

HS_CSV = Path(__file__).parent / "reference" / "data" / "HolzingerSwineford1939_mar.csv"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _incomplete(seed: int, n: int = 150, p: int = 6, rate: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(p, p))
    S = A @ A.T / p + np.eye(p)
    X = rng.multivariate_normal(rng.normal(size=p), S, size=n)
    X[rng.random((n, p)) < rate] = np.nan
    X[3] = np.nan  # a row with nothing observed: dropped by Patterns, as lavaan drops it
    return X, S


@pytest.mark.parametrize("seed", [1, 2])
def test_weighted_likelihood_equals_the_resampled_data(seed):
    X, S = _incomplete(seed)
    pt = Patterns(X)
    rng = np.random.default_rng(seed + 10)
    mu = np.nanmean(X, axis=0) + 0.1
    for _ in range(5):
        idx = rng.integers(0, X.shape[0], X.shape[0])
        rs = Resample(pt, np.bincount(idx, minlength=X.shape[0])[pt.kept])
        want = minus2_loglik(S, mu, Patterns(X[idx]), gradient=True)
        for got in (minus2_loglik_weighted(S, mu, pt, rs), _minus2_loglik_weighted_blocks(S, mu, pt, rs)):
            for a, b in zip(got, want):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.max(np.abs(b)))


def test_weighted_likelihood_when_sigma_is_not_positive_definite():
    """Only the observed blocks must be positive definite (no row sees x1 and x3 together)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 3))
    X[:20, 2] = np.nan
    X[20:, 0] = np.nan
    S = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])  # indefinite, 2x2 blocks are PD
    assert np.linalg.eigvalsh(S)[0] < 0
    pt = Patterns(X)
    idx = rng.integers(0, 40, 40)
    rs = Resample(pt, np.bincount(idx, minlength=40)[pt.kept])
    got = minus2_loglik_weighted(S, np.zeros(3), pt, rs)
    want = minus2_loglik(S, np.zeros(3), Patterns(X[idx]), gradient=True)
    assert np.isfinite(got[0])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def hs_plan():
    from hpmob.sem.fiml_bootstrap import FimlPlan
    from hpmob.sem.fit import _prepare_data
    from hpmob.sem.syntax import parse_model

    hs = pd.read_csv(HS_CSV)
    pm = parse_model(HS_MODEL, meanstructure=True)
    X, _ = _prepare_data(hs, pm, fiml=True)
    return FimlPlan(pm, fit(HS_MODEL, hs, missing="ml"), X)


def _tight_fit(plan, X: np.ndarray) -> np.ndarray:
    """The slow route, converged as far as it goes: the resample's own patterns, Fisher then BFGS, then polish."""
    from hpmob.sem.fit import _polish
    from hpmob.sem.multigroup import _Model, _optimize

    mdl = _Model(plan.pm, plan.entries, [X], fiml=True, h1=False)
    theta, _, ok = _optimize(mdl, plan.est0.copy(), gtol=1e-12)
    theta, ok_polish = _polish(mdl, theta, max_iter=500)
    mdl.objective(theta)
    assert ok and ok_polish and np.max(np.abs(mdl.gradient(theta))) < 1e-10
    return theta


@pytest.mark.parametrize("rep", range(3))
def test_fast_refit_equals_a_tight_fiml_fit(hs_plan, rep):
    N = hs_plan.X.shape[0]
    idx = np.random.default_rng(rep).integers(0, N, size=N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast, ok = hs_plan._weighted_fit(np.bincount(idx, minlength=N))  # the fast route alone, no fallback
        slow = _tight_fit(hs_plan, hs_plan.X[idx])
    assert ok
    np.testing.assert_allclose(fast, slow, rtol=1e-8, atol=1e-10)


def test_jackknife_sample_through_the_fast_route(hs_plan):
    """A leave-one-out sample (weight 0 for one row) is refitted the same way."""
    from hpmob.sem.indirect import _OK

    N = hs_plan.X.shape[0]
    idx = np.delete(np.arange(N), 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast, status = hs_plan.refit_rows(idx)
        slow = _tight_fit(hs_plan, hs_plan.X[idx])
    assert status == _OK
    np.testing.assert_allclose(fast, slow, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("rep", range(3))
def test_refit_with_standard_error_equals_fit_of_the_resample(hs_plan, rep):
    """The estimate and observed-information SE of one parameter from the fast route (conjugate
    gradients on the Hessian, no full Hessian) are those fit() reports for the resampled data."""
    hs = pd.read_csv(HS_CSV)
    N = hs_plan.X.shape[0]
    idx = np.random.default_rng(100 + rep).integers(0, N, size=N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fit(HS_MODEL, hs.iloc[idx], missing="ml")
    se_ref = np.sqrt(np.diag(ref.vcov.to_numpy()))
    for name in ("visual=~x2", "textual~~speed", "x5~1"):
        k = hs_plan.free_names.index(name)
        est, se = hs_plan.refit_rows_se(idx, k)
        assert est == pytest.approx(ref._state.theta[k], rel=1e-7, abs=1e-9)
        assert se == pytest.approx(se_ref[k], rel=1e-6)
