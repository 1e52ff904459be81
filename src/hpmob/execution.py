"""Where independent tasks run: local worker processes (joblib) or a Dask cluster.

Power analyses, bootstrap refits and grids of specifications are lists of independent
tasks. :func:`run_tasks` runs them with joblib, either on local processes (``loky``,
the default) or, for a team that outgrows one machine, on a ``dask.distributed``
cluster through joblib's Dask backend (``backend="dask"``, ``scheduler=ADDRESS``).
The caller seeds every task from its own identity (replicate number, specification
id), never from the worker that runs it, so results are identical whatever the backend
or the number of workers (``tests/test_execution.py`` runs a ``LocalCluster``).

Written here, not taken from a library as a whole, only because joblib needs a live
``distributed.Client`` for its Dask backend: the function opens one on the given
scheduler and closes it again (the cluster itself keeps running).

Examples
--------
>>> run_tasks(pow, [(2, 3), (3, 2)], n_jobs=1)
[8, 9]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from joblib import Parallel, delayed, parallel_config

BACKENDS = ("loky", "dask")


def check_backend(backend: str, scheduler: str | None) -> None:
    """Refuse an unknown backend, or Dask without a scheduler address, with what to do.

    Parameters
    ----------
    backend : str
        One of :data:`BACKENDS`.
    scheduler : str or None
        The Dask scheduler's address, needed with ``"dask"``.

    Examples
    --------
    >>> check_backend("loky", None)
    >>> check_backend("dask", None)
    Traceback (most recent call last):
    ...
    ValueError: backend 'dask' needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786, the address `dask scheduler` prints)
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if backend == "dask" and not scheduler:
        raise ValueError("backend 'dask' needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786, "
                         "the address `dask scheduler` prints)")


def run_tasks(fn: Callable, tasks: Iterable[tuple], *, n_jobs: int = 2, backend: str = "loky",
              scheduler: str | None = None) -> list:
    """Run ``fn(*task)`` for every task and return the results in task order.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function; it must seed any randomness from its
        arguments so that the result does not depend on where it runs.
    tasks : iterable of tuple
        Positional arguments of each call.
    n_jobs : int
        Local worker processes (``backend="loky"``); ``1`` runs in this process.
        Ignored by the Dask backend, which uses the cluster's workers.
    backend : {"loky", "dask"}
        ``"dask"`` sends the tasks to the ``dask.distributed`` scheduler at ``scheduler``.
    scheduler : str, optional
        Scheduler address, e.g. ``"tcp://127.0.0.1:8786"`` (required for Dask).

    Returns
    -------
    list
        ``[fn(*task) for task in tasks]``, computed in parallel.

    Examples
    --------
    >>> run_tasks(divmod, [(7, 2), (9, 4)], n_jobs=1)
    [(3, 1), (2, 1)]
    """
    check_backend(backend, scheduler)
    tasks = list(tasks)
    if backend == "loky":
        if n_jobs == 1 or len(tasks) <= 1:
            return [fn(*t) for t in tasks]
        return Parallel(n_jobs=n_jobs)(delayed(fn)(*t) for t in tasks)
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client, parallel_config(backend="dask", client=client):
        return Parallel()(delayed(fn)(*t) for t in tasks)
