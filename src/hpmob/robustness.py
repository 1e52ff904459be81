"""The study under every specification of the grid declared in ``variants.yaml``.

A runner above the study layer, like :mod:`hpmob.variants` (the import contracts keep the
study layer from calling it).

:func:`hpmob.multiverse.expand_grid` turns the ``grid:`` section into specifications
(each a set of notebook parameters); :func:`run_specification` runs the study layer's
own steps on one of them, in this process: cleaning with the specification's rules,
agreement shares, the invariance search and latent means, the structural model and its
indirect effects, and the claims table. It returns one tidy row per claim with the
specification's N and whether every model it used converged. :func:`run_multiverse`
runs the whole grid (locally or on a Dask cluster) and :func:`claim_curves` summarises
each claim across it (:mod:`hpmob.speccurve`).

Two settings are fixed for the whole grid, for speed, and the chapter says so: the
measurement chapter's EFA/CFA (no claim depends on it) is not rerun, and indirect
effects are judged by the Monte Carlo interval (``GRID_INDIRECT_METHOD``) instead of the
BCa bootstrap of the named variants.

Longer than 600 lines because the joint tests of the path claims (``structural_grid`` to
``grid_path_claims``) prepare each specification's data with the same private steps as
:func:`run_specification` (``_prepared``, ``_inputs``); moving them out would mean a third
module for those two helpers, imported by both. That split is the next one to make.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from hpmob.multiverse import choice_labels, expand_grid, load_grid, run_grid
from hpmob.paths import project_root
from hpmob.speccurve import specification_curve

__all__ = ["GRID_INDIRECT_METHOD", "run_specification", "run_multiverse", "claim_curves", "grid_specifications"]

#: Interval that judges indirect hypotheses in the grid (20,000 Monte Carlo draws).
GRID_INDIRECT_METHOD = "montecarlo"
#: Estimation settings of the analysis plan a specification may set directly.
PLAN_SETTINGS = ("missing", "estimator", "conf")
#: Verdicts that take part in a curve (not "not testable").
JUDGED = ("supported", "not supported")


def claim_free_settings() -> frozenset[str]:
    """Notebook parameters that only the steps no claim reads take (the measurement chapter).

    From :data:`hpmob.study.run.STEP_SETTINGS`: the measurement step's settings that neither
    the descriptives nor the structural step also takes (``seed`` is the structural
    model's too). A named variant that differs from a grid point only in these has that
    point's claims: :func:`named_equivalents`.

    Examples
    --------
    >>> sorted(claim_free_settings())
    ['estimator', 'n_iter', 'run_ordinal']
    """
    from hpmob.study.run import STEP_SETTINGS

    read_by_claims = set(STEP_SETTINGS["descriptives"]) | set(STEP_SETTINGS["structural"])
    return frozenset(set(STEP_SETTINGS["measurement"]) - read_by_claims)


def named_equivalents(specs: pd.DataFrame, variants: dict[str, dict]) -> pd.DataFrame:
    """Named variants that are not grid points but whose claims are a point's, by construction.

    A variant whose parameters differ from a grid point's only in :func:`claim_free_settings`
    (``mlr``: the measurement chapter's estimator) gets that point's claims: no claim reads
    the step those settings change, so running it again would give the same table.

    Parameters
    ----------
    specs : DataFrame
        :func:`grid_specifications` (``params``, ``named``).
    variants : dict
        Named variants, ``{name: parameters}``.

    Returns
    -------
    DataFrame
        ``variant, point, settings`` (the point's named variant and the claim-free
        settings that differ, joined for print); empty when every variant is a point.

    Examples
    --------
    >>> specs = pd.DataFrame({"params": [{}, {"missing": "listwise"}], "named": ["main", "listwise"]})
    >>> named_equivalents(specs, {"main": {}, "mlr": {"estimator": "MLR"}, "other": {"n_boot": 10}})
      variant point   settings
    0     mlr  main  estimator
    """
    free = claim_free_settings()
    points = {repr(sorted(p.items())): n for p, n in zip(specs["params"], specs["named"]) if isinstance(n, str)}
    rows = []
    for name, params in variants.items():
        if name in points.values():
            continue
        kept = {k: v for k, v in (params or {}).items() if k not in free}
        point = points.get(repr(sorted(kept.items())))
        if point is not None and kept != (params or {}):
            rows.append({"variant": name, "point": point,
                         "settings": ", ".join(sorted(set(params) - set(kept)))})
    return pd.DataFrame(rows, columns=["variant", "point", "settings"])


def _variants_path(variants_file: str | Path | None) -> Path:
    """The variants file given, else the project's ``variants.yaml``."""
    return Path(variants_file) if variants_file is not None else project_root() / "variants.yaml"


def grid_specifications(variants_file: str | Path | None = None) -> pd.DataFrame:
    """Expand the grid of ``variants.yaml``, with the named variants marked as its points.

    Parameters
    ----------
    variants_file : path-like, optional
        The variants file (default the project's ``variants.yaml``).

    Returns
    -------
    DataFrame
        One row per specification: ``spec_id``, one column per choice, ``params`` and
        ``named`` (the named variant it coincides with, if any).

    Examples
    --------
    >>> from hpmob.robustness import grid_specifications
    >>> specs = grid_specifications()
    >>> specs.columns[0], specs["spec_id"].is_unique, "main" in set(specs["named"])
    ('spec_id', True, True)
    """
    path = _variants_path(variants_file)
    return expand_grid(load_grid(path), named=named_variants(path), where=str(path.name))


def named_variants(variants_file: str | Path | None = None) -> dict[str, dict]:
    """The named variants' own parameters, without the file's ``defaults`` (run settings such
    as ``n_boot``), so that a named variant is recognised as the grid point it coincides with.

    Examples
    --------
    >>> named_variants()["listwise"]
    {'missing': 'listwise'}
    """
    import yaml

    path = _variants_path(variants_file)
    return {k: dict(v or {}) for k, v in (yaml.safe_load(path.read_text(encoding="utf-8")).get("variants")
                                          or {}).items()}


def run_specification(params: dict, seed: int) -> pd.DataFrame:
    """Run the study's claims under one specification, in this process.

    Parameters
    ----------
    params : dict
        Notebook parameters of the specification (as in ``variants.yaml``; every name must
        be declared by a notebook, :func:`hpmob.variants.variant_settings`) and settings
        of the plan's ``estimation`` block (:data:`PLAN_SETTINGS`, e.g. ``missing``).
    seed : int
        Seed of the Monte Carlo intervals (from the specification id).

    Returns
    -------
    DataFrame
        The claims table (``claim, hypothesis, test, estimate, ci_low, ci_high, verdict``)
        with ``n`` (respondents analysed after cleaning) and ``converged``.

    Examples
    --------
    >>> from hpmob.robustness import run_specification
    >>> claims = run_specification({"missing": "listwise"}, seed=1)
    >>> bool(claims["converged"].all()), int(claims["n"].iloc[0]) > 0
    (True, True)
    """
    from hpmob.claims import claims_table
    from hpmob.study import steps

    p, codebook, plan, responses = _prepared(params)
    plan = plan.with_settings(agree_threshold=p["agree_threshold"], indirect_method=GRID_INDIRECT_METHOD)
    tables: dict = {}
    results = [steps.descriptives(responses, codebook, plan, min_items=p["min_items"], min_cell=p["min_cell"])]
    if plan.grouping:
        results.append(steps.invariance(responses, codebook, plan, full_sequence=False))
    if plan.structural_regressions:
        results.append(steps.structural(responses, codebook, plan, methods=("delta", "montecarlo"),
                                        n_mc=p["n_mc"], seed=seed, controls=p["level_covariates"],
                                        estimator=p["sem_estimator"]))
    for r in results:
        tables.update(r.tables)
    converged = all(_converged(r) for r in results)
    claims = claims_table(tables, codebook=codebook, plan=plan).tables["claims"].copy()
    claims["n"] = len(responses)
    claims["converged"] = converged
    return claims


def _prepared(params: dict):
    """Notebook settings, codebook, plan (with the specification's plan settings) and the
    cleaned responses of one specification: what every use of a specification starts from."""
    from hpmob.clean import CleaningRules, clean_export, read_responses, write_processed
    from hpmob.study import steps
    from hpmob.variants import variant_settings

    # a grid may set the plan's estimation settings (e.g. missing) beside notebook parameters
    plan_settings = {k: params[k] for k in PLAN_SETTINGS if k in params}
    p = variant_settings({k: v for k, v in params.items() if k not in plan_settings})
    raw, codebook, plan = _inputs(p["raw_file"], p["codebook_file"], p["plan_file"])
    rules = CleaningRules(speeder_fraction=p["speeder_fraction"], max_item_missing=p["max_item_missing"],
                          straightline_min_items=p["straightline_min_items"],
                          min_age_at_entry=p["min_age_at_entry"], apply=tuple(p["rules"]))
    rules = steps.study_cleaning_rules(rules, codebook, plan)
    with tempfile.TemporaryDirectory(prefix="hpmob-spec-") as tmp:
        # the cleaning of steps.cleaning, without its per-run validation and tables (the
        # export was validated once by _inputs)
        write_processed(clean_export(raw, codebook, rules), tmp)
        # what the notebooks read: the processed file, not the in-memory frame
        responses = read_responses(Path(tmp) / "responses.csv", codebook)
    return p, codebook, plan.with_settings(**plan_settings), responses


@functools.lru_cache(maxsize=4)
def _inputs(raw_file: str, codebook_file: str, plan_file: str):
    """The export (validated once), codebook and plan, read once per process: every
    specification of a grid shares them, and reading them costs more than a fit."""
    from hpmob.codebook import load_codebook
    from hpmob.io import read_export, validate_export
    from hpmob.study.plan import load_plan

    root = project_root()
    codebook = load_codebook(root / codebook_file)
    plan = load_plan(root / plan_file, codebook=codebook)
    raw = read_export(root / raw_file)
    errors = [p for p in validate_export(raw, codebook, source=raw_file) if p.severity == "error"]
    if errors:
        raise ValueError("the export has errors; run `hpmob validate` and fix them:\n" + "\n".join(map(str, errors)))
    return raw, codebook, plan


def _converged(step) -> bool:
    """True unless a model of the step reports that it did not converge."""
    for obj in step.objects.values():
        flag = getattr(obj, "converged", None)
        if flag is None and hasattr(obj, "result"):
            flag = getattr(obj.result, "converged", None)
        if flag is not None and not bool(flag):
            return False
    return True


def run_multiverse(specs: pd.DataFrame | None = None, *, seed: int = 20250902, n_jobs: int = 2,
                   backend: str = "loky", scheduler: str | None = None) -> pd.DataFrame:
    """Run every specification of the grid through :func:`run_specification`; one row per claim.

    Each specification is seeded from its id, so the table does not depend on the number
    of workers or the backend (:func:`hpmob.multiverse.run_grid`).

    Parameters
    ----------
    specs : DataFrame, optional
        Specifications (:func:`grid_specifications`, or some of its rows); default the whole grid.
    seed : int
        Root seed; each specification's seed derives from it and its id.
    n_jobs, backend, scheduler
        Where the specifications run (:func:`hpmob.execution.run_tasks`).

    Returns
    -------
    DataFrame
        The claims rows of every specification, with ``spec_id``, the choices and ``named``
        in front.

    Examples
    --------
    >>> from hpmob.robustness import grid_specifications, run_multiverse
    >>> specs = grid_specifications()
    >>> rows = run_multiverse(specs[specs["named"] == "listwise"], n_jobs=1)
    >>> rows["spec_id"].nunique(), rows.columns[0]
    (1, 'spec_id')
    """
    specs = grid_specifications() if specs is None else specs
    return run_grid(specs, run_specification, seed=seed, n_jobs=n_jobs, backend=backend, scheduler=scheduler)


def claim_curves(results: pd.DataFrame) -> pd.DataFrame:
    """Summarize each judged claim across the grid: its estimates and the share supporting it.

    Parameters
    ----------
    results : DataFrame
        One row per claim and specification (:func:`run_multiverse`): ``claim, hypothesis,
        estimate, verdict, spec_id``.

    Returns
    -------
    DataFrame
        One row per claim: ``claim, hypothesis, n_specifications, share_supported,
        median_estimate, min_estimate, max_estimate``, and ``fragile`` (True when the
        specifications disagree on the verdict).

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.robustness import claim_curves
    >>> results = pd.DataFrame({"claim": ["c"] * 3, "hypothesis": ["hyp"] * 3, "spec_id": ["a", "b", "c"],
    ...                         "estimate": [0.2, 0.4, 0.1], "verdict": ["supported", "supported", "not supported"]})
    >>> claim_curves(results)[["claim", "n_specifications", "share_supported", "fragile"]].round(3)
      claim  n_specifications  share_supported  fragile
    0     c                 3            0.667     True
    """
    rows = []
    for claim, sub in results.groupby("claim", sort=False):
        sub = sub[sub["verdict"].isin(JUDGED) & sub["estimate"].notna()]
        if sub.empty:
            continue
        curve = specification_curve(sub.assign(supported=sub["verdict"] == "supported"))
        share = curve.attrs["share_supported"]
        rows.append({"claim": claim, "hypothesis": sub["hypothesis"].iloc[0],
                     "n_specifications": curve.attrs["n_specifications"], "share_supported": share,
                     "median_estimate": float(np.median(sub["estimate"])),
                     "min_estimate": float(sub["estimate"].min()), "max_estimate": float(sub["estimate"].max()),
                     "fragile": bool(0 < share < 1)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- joint tests
#: Parameters that change neither the structural model nor its data: specifications that
#: differ only in them give the same path estimate, so a path's curve counts each once.
NOT_STRUCTURAL = ("agree_threshold",)


def structural_inputs(params: dict) -> tuple[str, pd.DataFrame, dict]:
    """The structural model, its data (indexed by respondent id) and the fit settings of one
    specification, prepared exactly as :func:`run_specification` prepares them."""
    from hpmob.study.models import structural_data, structural_syntax

    p, codebook, plan, responses = _prepared(params)
    # as steps.structural: FIML keeps respondents with a missing covariate only with random covariates
    model = structural_syntax(plan, codebook, controls=p["level_covariates"], random_x=plan.estimation["missing"] == "ml")
    data = structural_data(responses, codebook, plan, controls=p["level_covariates"]).set_index("resp_id")
    kw = {"estimator": p["sem_estimator"], "ci": plan.estimation["conf"], "missing": plan.estimation["missing"]}
    return model, data, kw


IN_SPEC = "_in_spec"


def structural_grid(specs: pd.DataFrame, *, n_jobs: int = 1, backend: str = "loky",
                    scheduler: str | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """The distinct structural specifications of a grid and their data side by side.

    Specifications differing only in :data:`NOT_STRUCTURAL` parameters are counted once.
    Returns the wide frame (one row per respondent any specification analyses; specification
    ``k``'s columns prefixed ``s{k}|``, with ``s{k}|_in_spec`` 1 for the respondents it
    analyses) and one dict per distinct specification (``prefix``, ``model``, ``fit``,
    ``params``). Computed once and shared by the joint tests of every path claim.
    """
    from hpmob.execution import run_tasks

    unique = {}
    for params in specs["params"]:
        key = repr(sorted((k, v) for k, v in params.items() if k not in NOT_STRUCTURAL))
        unique.setdefault(key, {k: v for k, v in params.items() if k not in NOT_STRUCTURAL})
    inputs = run_tasks(structural_inputs, [(params,) for params in unique.values()], n_jobs=n_jobs, backend=backend,
                       scheduler=scheduler)
    blocks, spec_list = [], []
    for k, (params, (model, data, kw)) in enumerate(zip(unique.values(), inputs)):
        prefix = f"s{k}|"
        blocks.append(data.assign(**{IN_SPEC: 1.0}).add_prefix(prefix))
        spec_list.append({"prefix": prefix, "model": model, "fit": kw, "params": params})
    wide = pd.concat(blocks, axis=1, sort=True)
    for s in spec_list:
        wide[s["prefix"] + IN_SPEC] = wide[s["prefix"] + IN_SPEC].fillna(0.0)
    return wide, spec_list


def _block(spec: dict, d: pd.DataFrame) -> pd.DataFrame:
    """Specification ``k``'s columns of the wide frame, for the respondents it analyses."""
    cols = [c for c in d.columns if c.startswith(spec["prefix"])]
    sub = d[cols][d[spec["prefix"] + IN_SPEC].astype(bool)]
    return sub.rename(columns=lambda c: c[len(spec["prefix"]):]).drop(columns=IN_SPEC)


def _fit_path(spec: dict, data: pd.DataFrame) -> tuple[float, float]:
    """The path's estimate and two-sided p-value in a fit of ``data`` (NaN if the fit did not
    converge: a failed fit is left out of the curve, never counted)."""
    import warnings

    from hpmob.sem import fit

    try:
        with warnings.catch_warnings():  # listwise-deletion notes; convergence is checked below
            warnings.filterwarnings("ignore", message=".*listwise deletion.*")
            res = fit(spec["model"], data, **spec["fit"])
    except (ValueError, RuntimeError, np.linalg.LinAlgError):
        return float("nan"), float("nan")
    if not getattr(res, "converged", True):
        return float("nan"), float("nan")
    est = res.estimates
    row = est[(est["lhs"] == spec["lhs"]) & (est["op"] == "~") & (est["rhs"] == spec["rhs"])]
    return float(row["est"].iloc[0]), float(row["pvalue"].iloc[0])


def _path_estimate(spec: dict, d: pd.DataFrame) -> tuple[float, float]:
    """The path's estimate and two-sided p-value under specification ``spec``."""
    return _fit_path(spec, _block(spec, d))


def _path_null(spec: dict, d: pd.DataFrame, estimate: float) -> pd.DataFrame:
    """``d`` with specification ``spec``'s columns moved to a population where the path is 0
    (Bollen-Stine / Savalei-Yuan, :func:`hpmob.sem.impose_zero_path`)."""
    import warnings

    from hpmob.sem import impose_zero_path

    block = _block(spec, d)
    with warnings.catch_warnings():  # the listwise-deletion note, once per claim and specification
        warnings.filterwarnings("ignore", message=".*listwise deletion.*")
        null = impose_zero_path(spec["model"], block, spec["lhs"], spec["rhs"], **spec["fit"])
    out = d.copy()
    cols = [spec["prefix"] + c for c in null.columns]
    out.loc[null.index, cols] = null.to_numpy()
    return out


def _path_prepare(spec: dict, d: pd.DataFrame) -> dict:
    """What the null refits of one specification need: its null data alone, the position of
    each row of ``d`` in them (-1: not analysed), and for an ML fit with FIML the warm-started
    refit of :class:`hpmob.sem.fiml_bootstrap.FimlPlan` from the fit of the null data."""
    block = _block(spec, d)
    inside = d[spec["prefix"] + IN_SPEC].astype(bool).to_numpy()
    pos = np.full(len(d), -1)
    pos[inside] = np.arange(int(inside.sum()))
    state = {"spec": spec, "data": block, "pos": pos, "plan": None, "k": None}
    if spec["fit"].get("missing") == "ml" and spec["fit"].get("estimator", "ML") == "ML":
        import warnings

        from hpmob.sem import fit
        from hpmob.sem.fiml_bootstrap import FimlPlan

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit(spec["model"], block, **spec["fit"])
                if res.converged:
                    pm = res._state.pm
                    state["plan"] = FimlPlan(pm, res, block[pm.ov].to_numpy(dtype=float))
                    state["k"] = next(e.theta for e in state["plan"].entries if e.g == 0 and e.row.op == "~"
                                      and e.row.lhs == spec["lhs"] and e.row.rhs == spec["rhs"])
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            state["plan"] = None  # every draw then fits its resample
    return state


def _path_refit(state: dict, rows: np.ndarray) -> tuple[float, float]:
    """The path's estimate and p-value in the resample ``rows`` of the null data: the fast FIML
    refit where it converges (the same numbers as a fit of the resample, to about 1e-8),
    else a fit of the resample."""
    from scipy import stats

    sub = state["pos"][rows]
    sub = sub[sub >= 0]
    if state["plan"] is not None:
        out = state["plan"].refit_rows_se(sub, state["k"])
        if out is not None:
            est, se = out
            return est, float(2 * stats.norm.sf(abs(est / se)))
    return _fit_path(state["spec"], state["data"].iloc[sub])


def claim_path_estimate(claims: pd.DataFrame, lhs: str, rhs: str) -> float:
    """The estimate of the path claim ``lhs ~ rhs`` in a specification's claims table."""
    row = claims[claims["test"].str.contains(f"{rhs} → {lhs}", regex=False)]
    return float(row["estimate"].iloc[0])


def path_joint_test(specs: pd.DataFrame, lhs: str, rhs: str, sign: str, *, n_null: int = 100, seed: int = 1,
                    alpha: float = 0.05, n_jobs: int = 2, backend: str = "loky",
                    scheduler: str | None = None, structural: tuple | None = None) -> pd.DataFrame:
    """The joint test of a path claim over the grid (:func:`hpmob.speccurve.joint_test`).

    Specifications differing only in :data:`NOT_STRUCTURAL` parameters are counted once.
    All specifications share one bootstrap draw of respondents (the union of those any
    specification analyses), so the null curves keep the dependence between them; each
    specification's data are first moved to its own null model (the path fixed at 0).
    FIML specifications are refitted by the warm-started route of the FIML bootstrap
    (:meth:`~hpmob.sem.fiml_bootstrap.FimlPlan.refit_rows_se`), the others by
    :func:`hpmob.sem.fit`.

    Parameters
    ----------
    structural : tuple, optional
        :func:`structural_grid` of ``specs``, when the caller has it already (the joint
        tests of several claims share it).

    Returns
    -------
    DataFrame
        :func:`~hpmob.speccurve.joint_test` output with ``lhs, rhs, n_specifications``.
    """
    from hpmob.speccurve import joint_test

    run = {"n_jobs": n_jobs, "backend": backend, "scheduler": scheduler}
    wide, spec_list = structural if structural is not None else structural_grid(specs, **run)
    spec_list = [{**s, "lhs": lhs, "rhs": rhs} for s in spec_list]
    res = joint_test(spec_list, wide, _path_estimate, _path_null, n_boot=n_null, seed=seed,
                     direction=-1 if sign == "-" else 1, alpha=alpha, prepare=_path_prepare, refit=_path_refit,
                     **run)
    return res.assign(lhs=lhs, rhs=rhs, n_specifications=len(spec_list))


def grid_path_claims(specs: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """The path claims of a grid, each with the specifications whose own analysis plan
    (``plan_file``, with the specification's plan settings) declares it and can test it.

    Returns ``[(claim, specs_subset)]`` with ``claim`` = ``{"id", "label", "lhs", "rhs",
    "sign"}``, in the order of first appearance; a claim that two plans declare with
    different paths or signs is two claims.
    """
    from hpmob.variants import variant_settings

    claims: dict[tuple, tuple[dict, list[int]]] = {}
    for i, params in enumerate(specs["params"]):
        plan_settings = {k: params[k] for k in PLAN_SETTINGS if k in params}
        p = variant_settings({k: v for k, v in params.items() if k not in plan_settings})
        _, _, plan = _inputs(p["raw_file"], p["codebook_file"], p["plan_file"])
        plan = plan.with_settings(**plan_settings)
        for h in plan.hypotheses:
            if h.type != "path" or plan.missing_for(h):
                continue
            claim = {"id": h.id, "label": h.label, "lhs": h["lhs"], "rhs": h["rhs"], "sign": h["sign"]}
            claims.setdefault(tuple(claim.values()), (claim, []))[1].append(i)
    return [(claim, specs.iloc[rows].reset_index(drop=True)) for claim, rows in claims.values()]


def build_multiverse(out: str | Path, *, named_only: bool = False, joint_tests: bool = False, n_null: int = 100,
                     seed: int = 20250902, n_jobs: int = 2, backend: str = "loky", scheduler: str | None = None,
                     variants_file: str | Path | None = None, progress=None) -> dict[str, Path]:
    """Run the grid (or only its named points) and write its tables into ``out``.

    Writes ``specifications.csv`` (one row per specification and claim: id, every choice,
    the named variant it is, estimate, CI, verdict, N, converged), ``curves.csv``
    (:func:`claim_curves`), ``grid.csv`` (what was run and how long it took) and, with
    ``joint_tests``, ``joint_tests.csv`` (:func:`path_joint_test` for every path claim of
    the specifications' analysis plans, :func:`grid_path_claims`, ``n_null`` null draws
    each) with its time in ``grid.csv`` (``joint_seconds``, ``n_null``). ``choices.csv``
    holds the words the book names each choice and level by
    (:func:`hpmob.multiverse.choice_labels`), ``named_equivalents.csv`` the named variants
    that are no grid point but have a point's claims (:func:`named_equivalents`).
    """
    import time

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specs = grid_specifications(variants_file)
    if named_only:
        specs = specs[specs["named"].notna()].reset_index(drop=True)
    start = time.perf_counter()
    results = run_multiverse(specs, seed=seed, n_jobs=n_jobs, backend=backend, scheduler=scheduler)
    seconds = time.perf_counter() - start
    written = {"specifications": out / "specifications.csv", "curves": out / "curves.csv", "grid": out / "grid.csv",
               "choices": out / "choices.csv"}
    results.to_csv(written["specifications"], index=False, float_format="%.6g")
    variants_path = _variants_path(variants_file)
    choice_labels(load_grid(variants_path), where=variants_path.name).to_csv(written["choices"], index=False)
    written["named_equivalents"] = out / "named_equivalents.csv"
    named_equivalents(specs, named_variants(variants_path)).to_csv(written["named_equivalents"], index=False)
    claim_curves(results).to_csv(written["curves"], index=False, float_format="%.6g")
    choices = [c for c in specs.columns if c not in ("spec_id", "params", "named")]
    grid = {"grid": "named points" if named_only else "full grid", "n_specifications": len(specs),
            "choices": ", ".join(choices), "seconds": seconds, "seconds_per_specification": seconds / len(specs),
            "n_jobs": n_jobs, "backend": backend, "seed": seed}
    if joint_tests:
        run = {"n_jobs": n_jobs, "backend": backend, "scheduler": scheduler}
        start = time.perf_counter()
        frames, shared = [], {}
        for claim, sub in grid_path_claims(specs):
            if progress:
                progress(claim["id"])
            key = tuple(sub["spec_id"])  # claims tested on the same specifications share their data
            if key not in shared:
                shared[key] = structural_grid(sub, **run)
            frames.append(path_joint_test(sub, claim["lhs"], claim["rhs"], claim["sign"], n_null=n_null, seed=seed,
                                          structural=shared[key], **run)
                          .assign(hypothesis=claim["label"], claim_id=claim["id"], sign=claim["sign"]))
        written["joint_tests"] = out / "joint_tests.csv"
        pd.concat(frames, ignore_index=True).to_csv(written["joint_tests"], index=False, float_format="%.6g")
        grid.update(joint_seconds=time.perf_counter() - start, n_null=n_null)
    pd.DataFrame([grid]).to_csv(written["grid"], index=False, float_format="%.6g")
    return written


def choice_flips(results: pd.DataFrame, choices: list[str]) -> pd.DataFrame:
    """For each judged claim and choice: the share of specifications supporting it per level.

    Returns
    -------
    DataFrame
        ``claim, hypothesis, choice, level, n, n_supported`` for judged claims, plus
        ``spread`` (max − min share supported over the choice's levels: 1 when the choice
        alone decides the verdict, 0 when it does not matter).
    """
    judged = results[results["verdict"].isin(JUDGED)]
    rows = []
    for (claim, hyp), sub in judged.groupby(["claim", "hypothesis"], sort=False):
        for c in choices:
            g = sub.groupby(sub[c].astype(str), sort=False)["verdict"]
            shares = g.apply(lambda v: (v == "supported").mean())
            for lv, v in g:
                rows.append({"claim": claim, "hypothesis": hyp, "choice": c, "level": lv, "n": len(v),
                             "n_supported": int((v == "supported").sum()),
                             "spread": float(shares.max() - shares.min())})
    return pd.DataFrame(rows)


def named_points_table(results: pd.DataFrame, equivalents: pd.DataFrame | None = None) -> pd.DataFrame:
    """The named variants among the grid's points, in :func:`hpmob.variants.robustness_table`'s layout.

    ``equivalents`` (:func:`named_equivalents`) adds each variant that is no point under
    its point's claims, so that every named variant has its column.
    """
    named = results[results["named"].notna()].rename(columns={"named": "variant"})
    if equivalents is not None and len(equivalents):
        extra = [named[named["variant"] == r.point].assign(variant=r.variant) for r in equivalents.itertuples()]
        named = pd.concat([named, *extra], ignore_index=True)
    main = named[named["variant"] == "main"].set_index("claim")["verdict"]
    named = named.assign(changes=named["verdict"] != named["claim"].map(main))
    return named[["claim", "hypothesis", "variant", "estimate", "ci_low", "ci_high", "verdict", "changes"]]


def multiverse_report(folder: str | Path, labels: dict[str, str] | None = None) -> dict:
    """What the robustness chapter shows of a built grid: tables, glue values and sentences.

    ``folder`` holds :func:`build_multiverse`'s tables; ``labels`` names variables in the
    joint tests' ``path`` column (e.g. a covariate's label), others keep their name.
    Returns ``{"results", "curves", "flips", "joint", "glue", "sentences", "choices",
    "choice_words", "equivalents"}`` (:func:`choice_words`, :func:`named_equivalents`);
    ``joint`` is None when the joint tests were not run. The joint tests' median estimate
    is shown in its own sign (the test is of the claimed direction).
    """
    from hpmob.study import sentences as S

    folder = Path(folder)
    grid = pd.read_csv(folder / "grid.csv").iloc[0]
    choices = [c.strip() for c in str(grid["choices"]).split(",")]
    # choice levels are names ("0.80"), not numbers
    results = pd.read_csv(folder / "specifications.csv", dtype={"named": "string", **{c: str for c in choices}})
    curves = pd.read_csv(folder / "curves.csv")
    flips = choice_flips(results, choices)
    words = choice_words(folder, choices)
    equivalents = (pd.read_csv(folder / "named_equivalents.csv", dtype=str) if (folder / "named_equivalents.csv").is_file()
                   else pd.DataFrame(columns=["variant", "point", "settings"]))
    # a claim by its hypothesis, and by its test too where a hypothesis has several claims (e.g. three paths under one label)
    shared = curves["hypothesis"].duplicated(keep=False)
    tests = results.drop_duplicates("claim").set_index("claim")["test"] if "test" in results else None
    name = {c: f"{h} ({tests[c].split(',')[0]})" if dup and tests is not None else str(h)
            for c, h, dup in zip(curves["claim"], curves["hypothesis"], shared)}
    fragile = [name[c] for c in curves.loc[curves["fragile"], "claim"]]
    flip_text = {}
    for claim in curves.loc[curves["fragile"], "claim"]:
        hyp = name[claim]
        sub = flips[flips["claim"] == claim]
        top = sub.sort_values("spread", ascending=False, kind="stable").iloc[0]
        if top["spread"] > 0:
            lv = sub[sub["choice"] == top["choice"]]
            choice = top["choice"]
            flip_text[hyp] = S.multiverse_flip(words[choice]["name"], {words[choice]["levels"].get(r.level, r.level):
                                                                        (r.n_supported, r.n) for r in lv.itertuples()})
    n_jobs = int(grid["n_jobs"]) if "n_jobs" in grid and pd.notna(grid["n_jobs"]) else None
    sentences = {"grid": S.multiverse_grid(grid["grid"], int(grid["n_specifications"]),
                                           ", ".join(words[c]["name"] for c in choices),
                                           float(grid["seconds_per_specification"]), n_jobs),
                 "fragility": S.multiverse_fragility(len(curves), fragile, flip_text),
                 "equivalents": S.multiverse_equivalents([(r.variant, r.point, r.settings)
                                                          for r in equivalents.itertuples()])}
    glue = {"mv_n_specs": int(grid["n_specifications"]), "mv_grid_kind": str(grid["grid"]),
            "mv_n_fragile": len(fragile), "mv_n_claims": len(curves),
            "mv_seconds_per_spec": float(grid["seconds_per_specification"])}
    joint = None
    if (folder / "joint_tests.csv").is_file():
        joint = pd.read_csv(folder / "joint_tests.csv")
        # one test per path claim; several claims may share a hypothesis label
        name = {**{v: v for v in pd.concat([joint["lhs"], joint["rhs"]])}, **(labels or {})}
        joint.insert(1, "path", joint["rhs"].map(name) + " → " + joint["lhs"].map(name))
        if "sign" in joint:  # speccurve reports the median times the claimed sign
            median = joint["statistic"] == "median estimate"
            joint.loc[median, "observed"] *= np.where(joint.loc[median, "sign"] == "-", -1.0, 1.0)
        for (hyp, path), sub in joint.groupby(["hypothesis", "path"], sort=False):
            rows = {r.statistic: (r.observed, r.p_value, r.mc_se) for r in sub.itertuples()}
            sentences[f"joint_{hyp}_{path}"] = S.joint_test(f"{hyp} ({path})", int(sub["n_specifications"].iloc[0]),
                                                            rows, int(sub["n_boot"].iloc[0]))
        n_null = int(joint["n_boot"].iloc[0])
        glue.update(mv_joint_n_claims=int(joint.groupby(["hypothesis", "path"]).ngroups), mv_joint_n_null=n_null,
                    mv_joint_min_p=1 / (1 + n_null),
                    mv_joint_mc_se_at_05=float(np.sqrt(0.05 * 0.95 / n_null)))
        if "joint_seconds" in grid and pd.notna(grid["joint_seconds"]):
            glue["mv_joint_minutes"] = float(grid["joint_seconds"]) / 60
    sentences["joint_status"] = S.multiverse_joint_status(
        None if joint is None else int(joint["n_boot"].iloc[0]),
        0 if joint is None else int(joint.groupby(["hypothesis", "path"]).ngroups), str(grid["grid"]))
    return {"results": results, "curves": curves, "flips": flips, "joint": joint, "glue": glue,
            "sentences": sentences, "choices": choices, "choice_words": words, "equivalents": equivalents}


def choice_words(folder: str | Path, choices: list[str]) -> dict[str, dict]:
    """The words for each choice and level of a built grid: ``{choice: {"name", "levels"}}``.

    Read from the folder's ``choices.csv`` (:func:`build_multiverse`); a grid built before
    that file existed, or a choice it does not name, keeps its name with underscores as
    spaces.

    Examples
    --------
    >>> import tempfile
    >>> choice_words(tempfile.mkdtemp(), ["straight_liners"])
    {'straight_liners': {'name': 'straight liners', 'levels': {}}}
    """
    path = Path(folder) / "choices.csv"
    table = pd.read_csv(path, dtype=str) if path.is_file() else pd.DataFrame(columns=["choice", "level",
                                                                                      "choice_label", "level_label"])
    words = {}
    for c in choices:
        sub = table[table["choice"] == c]
        words[c] = {"name": sub["choice_label"].iloc[0] if len(sub) else c.replace("_", " "),
                    "levels": dict(zip(sub["level"], sub["level_label"]))}
    return words


def grid_folder(base: str | Path) -> Path:
    """``base/full`` when the full grid is built (``make multiverse``), else ``base/named``."""
    base = Path(base)
    return base / "full" if (base / "full" / "specifications.csv").is_file() else base / "named"


def curve_figures(report: dict, lang: str = "en") -> dict:
    """One specification-curve figure per judged claim of :func:`multiverse_report`, keyed
    ``c01``, ``c02``, … in claims-table order (file names), titled by hypothesis and claim."""
    from hpmob import plots

    results, figs = report["results"], {}
    order = {c: list(dict.fromkeys(results[c].astype(str))) for c in report["choices"]}  # grid order
    for k, claim in enumerate(report["curves"]["claim"], start=1):
        sub = results[(results["claim"] == claim) & results["verdict"].isin(JUDGED) & results["estimate"].notna()]
        curve = specification_curve(sub.assign(supported=sub["verdict"] == "supported"))
        title = f"{sub['hypothesis'].iloc[0]}: {claim}"
        figs[f"c{k:02d}"] = plots.specification_curve_figure(curve, report["choices"], title=title,
                                                                  level_order=order, lang=lang,
                                                                  labels=report.get("choice_words"))
    return figs
