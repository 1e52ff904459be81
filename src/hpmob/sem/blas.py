"""One BLAS thread for every fit: the matrices of an SEM are small (p < 100).

A multithreaded BLAS only adds thread start-up and, on a busy machine, long
stalls: a 25-item CFA took 1.0-1.7 s with the default thread count against
0.10-0.14 s with one thread on 2 shared cores. A fixed count also keeps the
floating-point results independent of the machine and of ``n_jobs``. Every
fitting entry (``fit``, ``fit_multigroup``, score tests, bootstrap workers)
runs inside :func:`one_blas_thread`, so a notebook or a script is as fast as
``make`` (which also sets ``OPENBLAS_NUM_THREADS=1``).
"""

from __future__ import annotations

import contextlib

__all__ = ["one_blas_thread"]

_CONTROLLER: list = []


def one_blas_thread():
    """Context manager limiting the BLAS libraries loaded in this process to one thread.

    Returns
    -------
    contextlib.AbstractContextManager
        threadpoolctl's limit on the BLAS thread pools (a no-op context when threadpoolctl
        is not installed); the previous limits come back on exit.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.blas import one_blas_thread
    >>> with one_blas_thread():
    ...     float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
    9.0
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn and joblib
        return contextlib.nullcontext()
    if not _CONTROLLER:  # finding the BLAS libraries takes ~10 ms; do it once per process
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")
