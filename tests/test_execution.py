"""Execution backends (hpmob.execution): a dask.distributed LocalCluster on the loopback
interface gives byte-identical results to local processes, because every task is seeded
from its own identity (replicate number, bootstrap draw), not from the worker."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpmob.execution import check_backend, run_tasks
from hpmob.power import power_curve, two_group_power
from hpmob.speccurve import joint_test


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as c:
        yield c.scheduler_address


def test_unknown_backend_and_missing_scheduler_are_refused():
    with pytest.raises(ValueError, match="unknown backend 'spark'"):
        check_backend("spark", None)
    with pytest.raises(ValueError, match="--scheduler ADDRESS"):
        run_tasks(pow, [(2, 2)], backend="dask")


def test_loky_keeps_task_order():
    assert run_tasks(pow, [(2, k) for k in range(8)], n_jobs=2) == [2 ** k for k in range(8)]


@pytest.mark.slow
def test_power_on_a_local_cluster_equals_the_local_run(cluster):
    local = two_group_power(30, 40, 0.5, n_rep=200, seed=5, n_jobs=1)
    dask = two_group_power(30, 40, 0.5, n_rep=200, seed=5, backend="dask", scheduler=cluster)
    pd.testing.assert_frame_equal(local, dask)
    # the study's power curve: the full replicate (simulate, fit, decide) on the cluster
    local = power_curve((40,), n_rep=4, seed=9, n_jobs=1)
    dask = power_curve((40,), n_rep=4, seed=9, backend="dask", scheduler=cluster)
    assert local.to_csv(index=False).encode() == dask.to_csv(index=False).encode()


def _slope(spec, d):
    """Two specifications: the slope of y on x, and of a signed-log y on x."""
    x, y = d[:, 0], d[:, 1] if spec == "raw" else np.sign(d[:, 1]) * np.log1p(np.abs(d[:, 1]))
    res = stats.linregress(x, y)
    return float(res.slope), float(res.pvalue)


def _null(spec, d, b):
    d = d.copy()
    d[:, 1] -= b * d[:, 0]
    return d


@pytest.mark.slow
def test_joint_test_on_a_local_cluster_equals_the_local_run(cluster):
    rng = np.random.default_rng(1)
    x = rng.normal(size=100)
    d = np.column_stack([x, 0.2 * x + rng.normal(size=100)])
    local = joint_test(["raw", "log"], d, _slope, _null, n_boot=30, seed=4, n_jobs=1)
    dask = joint_test(["raw", "log"], d, _slope, _null, n_boot=30, seed=4, backend="dask", scheduler=cluster)
    pd.testing.assert_frame_equal(local, dask, check_exact=True)
