"""The model-based (Bollen–Stine / Savalei–Yuan) transformation against lavaan and semTools.

References: ``tests/reference/bollen_stine.json``, written by
``tests/reference/make_references_bollen_stine.R`` (lavaan 0.6.14, semTools 0.5.6, R
4.2.2; the versions are checked below) on the committed data
``tests/reference/data/{HolzingerSwineford1939,PoliticalDemocracy}{,_mar}.csv``:

* complete data: the transformed data inside lavaan's
  ``bootstrapLavaan(type = "bollen.stine")`` for the HS three-factor CFA and for the
  PoliticalDemocracy SEM with ``dem65 ~ 0*ind60`` (the null of that path);
* incomplete data: ``semTools::bsBootMiss(fit, transDataOnly = TRUE)`` (its default,
  Savalei & Yuan's transformation 2) for the same two models fitted with
  ``missing = "ml"`` to the MAR data.

Tolerances. Every transformed value, computed from lavaan's implied moments: 1e-10
absolute (observed: 7e-14 at worst). Every transformed value end to end (hpmob's own fit,
then the transformation; for the null model via :func:`impose_zero_path`): 2e-6 absolute,
set by how closely two optimizers agree on the implied moments on a flat likelihood
(observed: 1.2e-6 for the PoliticalDemocracy null model with missing data, where hpmob's and
lavaan's implied covariances differ by 1.9e-6 with -2 log L equal to 1e-11; 4e-8 for the
HS CFA). The closed-form properties (complete data: the N-divisor covariance and the means
of the transformed data are the implied ones; incomplete data: the FIML score of the
saturated model vanishes at the implied moments) hold to 1e-10.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpmob.sem import bollen_stine_transform, fit, impose_zero_path
from hpmob.sem.bollen_stine import transform_to_moments, zero_path_model
from hpmob.sem.fiml import Patterns, minus2_loglik

REF = Path(__file__).parent / "reference"
DATA = REF / "data"
ATOL_MOMENTS = 1e-10
ATOL_END_TO_END = 2e-6
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
PD_MODEL = (
    "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8\n"
    "dem60 ~ ind60\ndem65 ~ ind60 + dem60\n"
    "y1 ~~ y5\ny2 ~~ y4 + y6\ny3 ~~ y7\ny4 ~~ y8\ny6 ~~ y8"
)


@pytest.fixture(scope="module")
def ref():
    d = json.loads((REF / "bollen_stine.json").read_text())
    assert d["lavaan_version"] == "0.6.14"
    assert d["semTools_version"] == "0.5.6"
    return d["cases"]


def _matrix(m) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in m["values"]], dtype=float)


def _case(ref, name):
    c = ref[name]
    df = pd.read_csv(DATA / c["data"])
    ov = c["sigma"]["colnames"]
    rows = np.array(c["transformed"]["rownames"], dtype=int) - 1  # R's 1-based case numbers
    return c, df, ov, rows, _matrix(c["transformed"])


def _quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(*args, **kwargs)


CASES = ["hs_complete", "pd_null_complete", "hs_mar", "pd_null_mar"]


@pytest.mark.parametrize("name", CASES)
def test_transformation_at_lavaans_moments_matches_every_value(ref, name):
    c, df, ov, rows, want = _case(ref, name)
    X = df[ov].to_numpy(float)[rows]
    mu = np.array([c["mu"][v] for v in ov])
    Z = transform_to_moments(X, _matrix(c["sigma"]), mu, start_cov=_matrix(c["sampstat_cov"]))
    assert np.array_equal(np.isnan(Z), np.isnan(want))
    assert np.isnan(want).any() == name.endswith("_mar")
    assert np.nanmax(np.abs(Z - want)) < ATOL_MOMENTS


@pytest.mark.parametrize("name", ["hs_complete", "hs_mar"])
def test_cfa_end_to_end_matches_every_value(ref, name):
    c, df, ov, rows, want = _case(ref, name)
    kw = {"missing": "ml"} if name.endswith("_mar") else {"meanstructure": True}
    res = _quiet_fit(c["model"], df, **kw)
    assert res.converged
    out = bollen_stine_transform(res, df)
    got = out[ov].to_numpy(float)[rows]
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want)) < ATOL_END_TO_END
    # the rest of the frame is untouched: same shape, index, missing cells, other columns
    assert out.shape == df.shape and out.index.equals(df.index) and list(out.columns) == list(df.columns)
    assert out.isna().equals(df.isna())
    if "school" in df:
        assert out["school"].equals(df["school"])


@pytest.mark.parametrize("name", ["pd_null_complete", "pd_null_mar"])
def test_impose_zero_path_matches_every_value(ref, name):
    c, df, ov, rows, want = _case(ref, name)
    kw = {"missing": "ml"} if name.endswith("_mar") else {"meanstructure": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = impose_zero_path(PD_MODEL, df, "dem65", "ind60", **kw)
    info = out.attrs["null_model"]
    assert info["converged"] and info["syntax"] == c["model"]
    assert info["chisq"] == pytest.approx(c["chisq"], rel=1e-6)
    got = out[ov].to_numpy(float)[rows]
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want)) < ATOL_END_TO_END
    # refitted to its own transformed data, the null model fits perfectly
    again = _quiet_fit(c["model"], out, **kw)
    assert again.fit_measures["chisq"] == pytest.approx(0.0, abs=1e-7)


def test_complete_data_closed_form():
    hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    for ms in (False, True):
        res = _quiet_fit(HS_MODEL, hs, meanstructure=ms)
        Z = bollen_stine_transform(res, hs)[res.implied_cov.index].to_numpy()
        Zc = Z - Z.mean(axis=0)
        assert np.abs(Zc.T @ Zc / len(Z) - res.implied_cov.to_numpy()).max() < 1e-10
        # the mean is the implied one, or (no mean structure) the sample's
        target = res.implied_mean.to_numpy() if ms else hs[res.implied_cov.index].mean().to_numpy()
        assert np.abs(Z.mean(axis=0) - target).max() < 1e-10


def test_missing_data_closed_form_score_vanishes():
    """Savalei–Yuan: the saturated FIML likelihood of the transformed data peaks at the implied moments."""
    hs = pd.read_csv(DATA / "HolzingerSwineford1939_mar.csv")
    res = _quiet_fit(HS_MODEL, hs, missing="ml")
    ov = list(res.implied_cov.index)
    Z = bollen_stine_transform(res, hs)[ov].to_numpy()
    pt = Patterns(Z)
    sigma, mu = res.implied_cov.to_numpy(), res.implied_mean.to_numpy()
    _, Q, r = minus2_loglik(sigma, mu, pt, gradient=True)  # d(-2logL) = tr(Q dSigma) - 2 r'dmu
    assert np.abs(Q).max() / pt.n < 1e-10 and np.abs(r).max() / pt.n < 1e-10
    for it in pt.items:  # every pattern is centred at the implied mean
        assert np.abs(it.ybar - mu[it.obs]).max() < 1e-10
    # and at the original data it does not (the test can fail)
    _, Q0, _ = minus2_loglik(sigma, mu, Patterns(hs[ov].to_numpy()), gradient=True)
    assert np.abs(Q0).max() / pt.n > 1e-3


def test_savalei_yuan_on_complete_data_is_the_symmetric_root():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4)) @ rng.normal(size=(4, 4))
    sigma = np.cov(rng.normal(size=(200, 4)), rowvar=False)
    mu = np.arange(4.0)
    Z_bs = transform_to_moments(X, sigma, mu, method="bollen-stine")
    Z_sy = transform_to_moments(X, sigma, mu, method="savalei-yuan")
    for Z in (Z_bs, Z_sy):
        assert np.abs(np.cov(Z, rowvar=False, bias=True) - sigma).max() < 1e-10
        assert np.abs(Z.mean(axis=0) - mu).max() < 1e-10
    # A symmetric with A S A = Sigma: A = S^-1/2 (S^1/2 Sigma S^1/2)^1/2 S^-1/2 (closed form)
    S = np.cov(X, rowvar=False, bias=True)

    def sqrt(m):
        w, v = np.linalg.eigh(m)
        return (v * np.sqrt(w)) @ v.T

    Sh = sqrt(S)
    Shi = np.linalg.inv(Sh)
    A = Shi @ sqrt(Sh @ sigma @ Sh) @ Shi
    assert np.abs(Z_sy - ((X - X.mean(axis=0)) @ A + mu)).max() < 1e-10
    assert np.abs(Z_bs - Z_sy).max() > 1e-3  # the two transformations differ


def test_listwise_fit_leaves_unused_rows_alone():
    hs = pd.read_csv(DATA / "HolzingerSwineford1939_mar.csv")
    res = _quiet_fit(HS_MODEL, hs)
    out = bollen_stine_transform(res, hs)
    ov = list(res.implied_cov.index)
    complete = hs[ov].notna().all(axis=1)
    assert out.loc[~complete, ov].equals(hs.loc[~complete, ov].astype(float))
    Z = out.loc[complete, ov].to_numpy()
    Zc = Z - Z.mean(axis=0)
    assert np.abs(Zc.T @ Zc / len(Z) - res.implied_cov.to_numpy()).max() < 1e-10


def test_other_data_than_the_fit_is_an_error():
    hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    res = _quiet_fit(HS_MODEL, hs)
    with pytest.raises(ValueError, match="pass the data the model was fitted to"):
        bollen_stine_transform(res, hs.iloc[:-1])
    shifted = hs.copy()
    shifted["x1"] = shifted["x1"] * 2
    with pytest.raises(ValueError, match="differs from the fit's"):
        bollen_stine_transform(res, shifted)
    with pytest.raises(ValueError, match="needs complete rows"):
        transform_to_moments(np.array([[1.0, np.nan], [2.0, 1.0], [0.0, 3.0]]), np.eye(2), np.zeros(2),
                             method="bollen-stine")  # fmt: skip


def test_zero_path_model_edits():
    syntax, dropped = zero_path_model(
        "f =~ x1 + x2 + x3  # a comment\nm ~ a*x + start(0.3)*w\ny1 + y2 ~ m + c*x\ny3 ~ b*m\nind := a*b\n"
        "tot := ind + 1", "y3", "m")  # fmt: skip
    assert syntax == "f =~ x1 + x2 + x3\nm ~ a*x + start(0.3)*w\ny1 + y2 ~ m + c*x\ny3 ~ 0*m"
    assert dropped == ["ind", "tot"]
    syntax, _ = zero_path_model("y1 + y2 ~ m + x", "y2", "m")  # only y2's path is fixed
    assert syntax == "y1 ~ m + x\ny2 ~ 0*m + x"
    syntax, _ = zero_path_model("m ~ a*x\ny ~ m + 0.5*x", "m", "x")
    assert syntax == "m ~ 0*x\ny ~ m + 0.5*x"
    with pytest.raises(ValueError, match="no regression y ~ z; its regressions are: m ~ x, y ~ m"):
        zero_path_model("m ~ x\ny ~ m", "y", "z")
    with pytest.raises(ValueError, match="shared with another parameter"):
        zero_path_model("m ~ a*x\ny ~ a*m", "y", "m")
    with pytest.raises(ValueError, match="shared with another parameter"):  # y1 ~ b*m and y2 ~ b*m
        zero_path_model("y1 + y2 ~ b*m", "y2", "m")


def test_zero_path_with_a_defined_indirect_effect_and_fiml():
    rng = np.random.default_rng(7)
    n = 400
    x = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "m": m, "y": y})
    df.loc[rng.random(n) < 0.15, "m"] = np.nan
    df.loc[rng.random(n) < 0.15, "y"] = np.nan
    model = "m ~ a*x\ny ~ b*m + x\nx ~~ x\nind := a*b"
    out = impose_zero_path(model, df, "y", "m", missing="ml")
    assert out.attrs["null_model"]["dropped_defined"] == ["ind"]
    assert out.isna().equals(df.isna())
    est = _quiet_fit("m ~ x\ny ~ m + x\nx ~~ x", out, missing="ml").estimates.set_index(["lhs", "op", "rhs"])
    assert abs(est.loc[("y", "~", "m"), "est"]) < 1e-7  # the path is gone in the transformed data
    assert est.loc[("m", "~", "x"), "est"] == pytest.approx(0.5, abs=0.15)  # the rest is kept
    assert _quiet_fit("m ~ x\ny ~ m + x\nx ~~ x", df, missing="ml").estimates.set_index(
        ["lhs", "op", "rhs"]).loc[("y", "~", "m"), "est"] > 0.2  # fmt: skip


def test_transform_reproduces_the_model_covariance():
    rng = np.random.default_rng(11)
    L = rng.uniform(0.5, 0.9, size=(31, 1))
    sigma = L @ L.T + np.diag(rng.uniform(0.3, 0.7, size=31))
    X = rng.normal(size=(400, 31)) @ np.linalg.cholesky(sigma).T + 3.0
    Z = transform_to_moments(X, sigma, np.full(31, 3.0))  # its speed: bench/bench_guards.py
    assert np.abs(np.cov(Z, rowvar=False, bias=True) - sigma).max() < 1e-10
