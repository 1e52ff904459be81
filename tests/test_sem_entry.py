"""One lavaan-shaped entry (``fit(..., group=...)``) and the library-side BLAS pin."""

from __future__ import annotations

import contextlib
import importlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpmob.sem import MultigroupResult, fit, fit_multigroup
from hpmob.sem.blas import one_blas_thread

# the modules (``hpmob.sem.fit`` as an attribute is the function)
fit_module = importlib.import_module("hpmob.sem.fit")
mg_module = importlib.import_module("hpmob.sem.multigroup")

DATA = Path(__file__).parent / "reference" / "data"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.mark.parametrize("missing", ["listwise", "ml"])
def test_fit_with_group_is_fit_multigroup(missing):
    data = pd.read_csv(DATA / "HolzingerSwineford1939_mar.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # listwise deletion is announced; it is not the point here
        a = fit(MODEL, data, group="school", group_equal=("loadings", "intercepts"), group_partial=("x3~1",),
                missing=missing)  # fmt: skip
        b = fit_multigroup(MODEL, data, "school", group_equal=("loadings", "intercepts"),
                           group_partial=("x3~1",), missing=missing)  # fmt: skip
    assert isinstance(a, MultigroupResult)
    pd.testing.assert_frame_equal(a.estimates, b.estimates, check_exact=True)
    pd.testing.assert_series_equal(a.fit_measures, b.fit_measures, check_exact=True)
    assert a.missing == b.missing == missing


def test_group_arguments_need_group(hs):
    with pytest.raises(ValueError, match="group_equal need"):
        fit(MODEL, hs, group_equal=("loadings",))


def test_one_blas_thread_limits_blas():
    from threadpoolctl import threadpool_info

    with one_blas_thread():
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)


@pytest.mark.parametrize("call", ["single", "fiml", "multigroup"])
def test_every_fit_path_pins_blas(monkeypatch, hs, call):
    entered = []

    @contextlib.contextmanager
    def recorder():
        entered.append(True)
        with one_blas_thread():
            yield

    monkeypatch.setattr(fit_module, "one_blas_thread", recorder)
    monkeypatch.setattr(mg_module, "_one_blas_thread", recorder)
    if call == "single":
        fit(MODEL, hs)
    elif call == "fiml":
        fit(MODEL, hs, missing="ml")
    else:
        fit(MODEL, hs, group="school")
    assert entered


def test_result_reports_n_and_patterns(hs):
    res = fit(MODEL, hs)
    assert (res.n, res.n_patterns, res.missing, res.convergence, res.improper) == (301, 1, "listwise", "", ())
    mg = fit(MODEL, hs, group="school")
    assert mg.n_patterns.tolist() == [1, 1] and np.isfinite(mg.fit_measures["chisq"])
