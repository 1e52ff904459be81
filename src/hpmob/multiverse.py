"""A declared grid of analytic choices: every defensible specification of the study.

``variants.yaml`` may declare, beside its named variants, a ``grid:`` with
``dimensions`` (each choice and its levels, every level a set of parameters) and
``exclude`` (combinations that make no sense). :func:`expand_grid` turns it into one row
per specification: a stable id, the level of every choice, the parameters, and the
named variant it coincides with (the named variants stay points of the grid).
:func:`run_grid` runs a study runner on every specification, seeded from the
specification id, locally or on a Dask cluster (:mod:`hpmob.execution`), and returns
one tidy row per claim.

The module knows no study: the runner and the parameter names come from the caller.

Examples
--------
>>> grid = {"dimensions": {"cut": {"half": {"agree": 0.5}, "most": {"agree": 0.75}},
...                        "missing": {"fiml": {"missing": "ml"}, "listwise": {"missing": "listwise"}}},
...         "exclude": [{"cut": "most", "missing": "listwise"}]}
>>> expand_grid(grid)["spec_id"].tolist()
['cut=half|missing=fiml', 'cut=half|missing=listwise', 'cut=most|missing=fiml']
>>> expand_grid(grid)[["cut", "missing"]].to_dict("list")
{'cut': ['half', 'half', 'most'], 'missing': ['fiml', 'listwise', 'fiml']}
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

from hpmob.execution import run_tasks


class GridError(ValueError):
    """A ``grid:`` declaration that cannot be expanded; the message says where and what to do.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.multiverse import GridError, load_grid
    >>> path = Path(tempfile.mkdtemp()) / "variants.yaml"
    >>> _ = path.write_text("variants:\\n  main: {}\\n")
    >>> try:
    ...     load_grid(path)
    ... except GridError as err:
    ...     print(str(err).split(": ", 1)[1])
    no 'grid:' section; declare dimensions of analytic choices there
    """


def _check(grid: dict, where: str) -> dict[str, dict[str, dict]]:
    problems = []
    dims = grid.get("dimensions") if isinstance(grid, dict) else None
    if not isinstance(dims, dict) or not dims:
        raise GridError(f"{where}: grid needs 'dimensions:', a mapping of choice -> level -> parameters")
    for choice, levels in dims.items():
        if not isinstance(levels, dict) or not levels:
            problems.append(f"{where}: grid.dimensions.{choice}: needs at least one level "
                            f"(level name -> parameters), got {levels!r}")
            continue
        for level, params in levels.items():
            if params is not None and not isinstance(params, dict):
                problems.append(f"{where}: grid.dimensions.{choice}.{level}: parameters must be a mapping "
                                f"(e.g. {{estimator: MLR}}) or empty, got {params!r}")
    for k, rule in enumerate(grid.get("exclude") or []):
        if not isinstance(rule, dict) or not rule:
            problems.append(f"{where}: grid.exclude[{k}]: must map choices to levels, got {rule!r}")
            continue
        for choice, level in rule.items():
            if choice not in dims:
                problems.append(f"{where}: grid.exclude[{k}]: unknown choice {choice!r}; "
                                f"the dimensions are {', '.join(dims)}")
            elif isinstance(dims[choice], dict) and level not in dims[choice]:
                problems.append(f"{where}: grid.exclude[{k}]: {choice} has no level {level!r}; "
                                f"its levels are {', '.join(map(str, dims[choice]))}")
    if problems:
        raise GridError("\n".join(problems))
    return {c: {str(lv): dict(p or {}) for lv, p in levels.items()} for c, levels in dims.items()}


def expand_grid(grid: dict, named: dict[str, dict] | None = None, *, where: str = "variants.yaml") -> pd.DataFrame:
    """The cross-product of a grid's choices, less its exclusions.

    Parameters
    ----------
    grid : dict
        ``{"dimensions": {choice: {level: {param: value}}}, "exclude": [{choice: level}]}``;
        an exclusion drops every specification that has all of its choice levels.
    named : dict, optional
        Named variants (``{name: parameters}``, e.g. from :func:`hpmob.variants.load_variants`):
        a specification whose parameters equal a named variant's gets its name.
    where : str
        File name used in error messages.

    Returns
    -------
    DataFrame
        One row per specification in grid order: ``spec_id`` (``choice=level|...``),
        one column per choice, ``params`` (the merged parameters) and ``named``.

    Raises
    ------
    GridError
        Listing every problem of the declaration at once.

    Examples
    --------
    >>> g = expand_grid({"dimensions": {"est": {"ML": {}, "MLR": {"estimator": "MLR"}}}},
    ...                 named={"main": {}, "mlr": {"estimator": "MLR"}})
    >>> g[["spec_id", "named"]].values.tolist()
    [['est=ML', 'main'], ['est=MLR', 'mlr']]
    """
    dims = _check(grid, where)
    excludes = [{c: str(lv) for c, lv in rule.items()} for rule in grid.get("exclude") or []]
    rows = []
    for combo in itertools.product(*[list(levels) for levels in dims.values()]):
        choice = dict(zip(dims, combo))
        if any(all(choice[c] == lv for c, lv in rule.items()) for rule in excludes):
            continue
        params: dict = {}
        for c, lv in choice.items():
            clash = set(params) & set(dims[c][lv])
            if clash:
                raise GridError(f"{where}: grid.dimensions.{c}.{lv} sets {', '.join(sorted(clash))}, "
                                "which another choice also sets; give each parameter to one choice")
            params.update(dims[c][lv])
        rows.append({"spec_id": "|".join(f"{c}={lv}" for c, lv in choice.items()), **choice, "params": params})
    table = pd.DataFrame(rows)
    names = {}
    for name, p in (named or {}).items():
        names.setdefault(repr(sorted(p.items())), name)
    table["named"] = [names.get(repr(sorted(p.items()))) for p in table["params"]]
    return table


def choice_labels(grid: dict, *, where: str = "variants.yaml") -> pd.DataFrame:
    """How a book names each choice and level of a grid, from its optional ``labels:``.

    ``labels`` maps a choice to ``{name: words, levels: {level: words}}``; a choice or level
    left out keeps its name, with underscores read as spaces (``straight_liners`` →
    "straight liners"), so a figure or sentence never shows a code name it could word.

    Parameters
    ----------
    grid : dict
        The ``grid:`` declaration (:func:`load_grid`).
    where : str
        File name used in error messages.

    Returns
    -------
    DataFrame
        ``choice, level, choice_label, level_label``, one row per level in grid order.

    Raises
    ------
    GridError
        A label for a choice or level the grid does not declare, or one that is not text.

    Examples
    --------
    >>> grid = {"dimensions": {"missing_data": {"fiml": {}, "listwise": {"missing": "listwise"}}},
    ...         "labels": {"missing_data": {"levels": {"fiml": "FIML", "listwise": "listwise deletion"}}}}
    >>> choice_labels(grid).values.tolist()
    [['missing_data', 'fiml', 'missing data', 'FIML'], ['missing_data', 'listwise', 'missing data', 'listwise deletion']]
    """
    dims = _check(grid, where)
    labels = grid.get("labels") or {}
    problems = []
    if not isinstance(labels, dict):
        raise GridError(f"{where}: grid.labels must map choices to {{name: ..., levels: {{level: ...}}}}, "
                        f"got {labels!r}")
    for choice, spec in labels.items():
        if choice not in dims:
            problems.append(f"{where}: grid.labels: unknown choice {choice!r}; the dimensions are {', '.join(dims)}")
        elif not isinstance(spec, dict) or set(spec) - {"name", "levels"}:
            problems.append(f"{where}: grid.labels.{choice}: give 'name' and/or 'levels', got {spec!r}")
        else:
            for level, text in (spec.get("levels") or {}).items():
                if str(level) not in dims[choice]:
                    problems.append(f"{where}: grid.labels.{choice}.levels: {choice} has no level {level!r}; "
                                    f"its levels are {', '.join(dims[choice])}")
                elif not isinstance(text, str) or not text.strip():
                    problems.append(f"{where}: grid.labels.{choice}.levels.{level}: must be text, got {text!r}")
            if "name" in spec and (not isinstance(spec["name"], str) or not spec["name"].strip()):
                problems.append(f"{where}: grid.labels.{choice}.name: must be text, got {spec['name']!r}")
    if problems:
        raise GridError("\n".join(problems))
    rows = []
    for choice, levels in dims.items():
        spec = labels.get(choice) or {}
        named = {str(k): v for k, v in (spec.get("levels") or {}).items()}
        for level in levels:
            rows.append({"choice": choice, "level": level, "choice_label": spec.get("name", choice.replace("_", " ")),
                         "level_label": named.get(level, level.replace("_", " "))})
    return pd.DataFrame(rows)


def load_grid(path: str | Path) -> dict:
    """Return the ``grid:`` mapping of a variants file (GridError if it has none).

    Parameters
    ----------
    path : path-like
        The variants file.

    Returns
    -------
    dict
        The grid's declaration: choice name to its levels.

    Examples
    --------
    >>> from hpmob.multiverse import load_grid
    >>> from hpmob.paths import project_root
    >>> isinstance(load_grid(project_root() / "variants.yaml"), dict)
    True
    """
    path = Path(path)
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if "grid" not in spec:
        raise GridError(f"{path}: no 'grid:' section; declare dimensions of analytic choices there")
    return spec["grid"]


def spec_seed(spec_id: str, seed: int) -> int:
    """Derive a seed from the specification's id and the root seed: the same on any worker.

    Parameters
    ----------
    spec_id : str
        The specification's id.
    seed : int
        The root seed.

    Returns
    -------
    int
        The first four bytes of ``sha256("seed:spec_id")``, little-endian.

    Examples
    --------
    >>> spec_seed("cut=half", 1) == spec_seed("cut=half", 1) != spec_seed("cut=most", 1)
    True
    """
    digest = hashlib.sha256(f"{seed}:{spec_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def _one_spec(runner: Callable, spec_id: str, params: dict, seed: int) -> pd.DataFrame:
    return runner(params, spec_seed(spec_id, seed))


def run_grid(specs: pd.DataFrame, runner: Callable, *, seed: int, n_jobs: int = 2, backend: str = "loky",
             scheduler: str | None = None) -> pd.DataFrame:
    """Run ``runner(params, seed)`` on every specification; one tidy row per claim.

    Parameters
    ----------
    specs : DataFrame
        From :func:`expand_grid`.
    runner : callable
        ``runner(params, seed) -> DataFrame`` with one row per claim (module-level, so it
        can be sent to workers).
    seed : int
        Root seed; each specification's seed comes from its id (:func:`spec_seed`).
    n_jobs, backend, scheduler
        Where the specifications run (:func:`hpmob.execution.run_tasks`).

    Returns
    -------
    DataFrame
        The runner's rows with ``spec_id``, each choice and ``named`` in front.

    Examples
    --------
    >>> def runner(params, seed):
    ...     return pd.DataFrame({"claim": ["x"], "estimate": [params.get("agree", 0)]})
    >>> specs = expand_grid({"dimensions": {"cut": {"half": {"agree": 0.5}, "most": {"agree": 0.75}}}})
    >>> run_grid(specs, runner, seed=1, n_jobs=1)[["spec_id", "claim", "estimate"]].values.tolist()
    [['cut=half', 'x', 0.5], ['cut=most', 'x', 0.75]]
    """
    choices = [c for c in specs.columns if c not in ("spec_id", "params", "named")]
    results = run_tasks(_one_spec, [(runner, r.spec_id, r.params, seed) for r in specs.itertuples()],
                        n_jobs=n_jobs, backend=backend, scheduler=scheduler)
    frames = []
    for row, res in zip(specs.itertuples(), results):
        front = pd.DataFrame({"spec_id": row.spec_id, **{c: getattr(row, c) for c in choices},
                              "named": row.named}, index=res.index)
        frames.append(pd.concat([front, res], axis=1))
    return pd.concat(frames, ignore_index=True)
