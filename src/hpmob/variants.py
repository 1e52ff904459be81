"""Robustness reruns: every notebook under a named set of parameters.

``variants.yaml`` names sets of notebook parameters (robust ML, stricter or more lenient
cleaning, no straight-liner rule, another agreement threshold). :func:`run_variant`
executes all study notebooks with papermill into ``build/variants/NAME/`` — its own
processed data, tables and figures — passing each notebook only the parameters its
``parameters`` cell declares. :func:`robustness_table` then sets the claims of every
variant side by side.

:func:`run_variant_in_process` computes the same variant without a kernel per notebook:
it calls the study layer's steps (:mod:`hpmob.study.steps`) with the notebooks' own
parameter defaults overridden by the variant, writes the same results tables and builds
the claims table from them exactly as notebook 06 does. The robustness chapter and
larger grids of specifications can use that path; the tests show both give the same
claims table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

from hpmob.io import sha256_file
from hpmob.notebooks import notebook_parameters, run_plan, study_notebooks
from hpmob.paths import project_root

#: Notebooks that a variant reruns (00 only describes the study; 07 compares variants).
VARIANT_NOTEBOOKS = ("01", "02", "03", "04", "05", "06")
#: What each notebook reads from the others (the Makefile's rules say the same): 01 cleans
#: the data the others read, and 06 reads the tables of 02-05, so 02-05 can run side by side.
NOTEBOOK_NEEDS = {"02": ("01",), "03": ("01",), "04": ("01",), "05": ("01",), "06": ("01", "02", "03", "04", "05")}
#: Notebooks run at once by a variant or ``hpmob run`` (the machines have 2 cores).
DEFAULT_JOBS = 2


def plan_needs(plan: list[tuple]) -> dict[int, set[int]]:
    """Tell which steps of a notebook plan each step waits for (:func:`hpmob.notebooks.run_plan`).

    A notebook named in :data:`NOTEBOOK_NEEDS` waits for the listed notebooks that are in
    the plan; any other waits for every step before it.

    Parameters
    ----------
    plan : list of tuple
        ``(source, output, parameters)`` per notebook run, in order.

    Returns
    -------
    dict
        Step index to the set of indices it waits for.

    Examples
    --------
    >>> plan = [(f"{n}-x.ipynb", None, {}) for n in ("01", "02", "03", "06")]
    >>> plan_needs(plan)
    {0: set(), 1: {0}, 2: {0}, 3: {0, 1, 2}}
    """
    index = {Path(source).name[:2]: k for k, (source, _, _) in enumerate(plan)}
    needs = {}
    for k, (source, _, _) in enumerate(plan):
        prefix = Path(source).name[:2]
        if prefix in NOTEBOOK_NEEDS:
            needs[k] = {index[p] for p in NOTEBOOK_NEEDS[prefix] if p in index}
        else:
            needs[k] = set(range(k))
    return needs


def load_variants(path: str | Path | None = None) -> dict[str, dict]:
    """Read ``variants.yaml`` into ``{name: parameters}`` with the defaults merged in.

    Parameters
    ----------
    path : path-like, optional
        The variants file (default the project's ``variants.yaml``).

    Returns
    -------
    dict
        Variant name to its parameters, in the file's order.

    Raises
    ------
    ValueError
        If the file lacks a ``variants`` mapping or a variant is not a mapping.

    Examples
    --------
    >>> from hpmob.variants import load_variants
    >>> variants = load_variants()
    >>> "main" in variants, all(isinstance(p, dict) for p in variants.values())
    (True, True)
    """
    path = Path(path) if path is not None else project_root() / "variants.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    variants = spec.get("variants")
    if not isinstance(variants, dict) or not variants:
        raise ValueError(f"{path}: needs a 'variants:' mapping of name -> parameters")
    defaults = spec.get("defaults") or {}
    out = {}
    for name, params in variants.items():
        if params is not None and not isinstance(params, dict):
            raise ValueError(f"{path}: variant {name!r} must map parameter names to values, not {params!r}")
        out[name] = {**defaults, **(params or {})}
    return out


def variant_plan(name: str, params: dict, out_dir: str | Path, notebooks_dir: str | Path | None = None) -> list[tuple]:
    """List the (source, output, parameters) of each notebook run of a variant.

    Every parameter of the variant must be declared by at least one notebook, so a typo
    in ``variants.yaml`` fails before anything runs.

    Parameters
    ----------
    name : str
        The variant's name (for the message).
    params : dict
        Its notebook parameters.
    out_dir : path-like
        The variant's folder; the notebooks' output folders point into it.
    notebooks_dir : path-like, optional
        The study's notebooks (default ``notebooks/``).

    Returns
    -------
    list of tuple
        ``(source, output, parameters)`` per notebook, in execution order.

    Examples
    --------
    >>> from hpmob.variants import variant_plan
    >>> plan = variant_plan("strict", {"speeder_fraction": 0.5}, "/tmp/strict")
    >>> [(src.name[:2], params.get("speeder_fraction")) for src, _, params in plan][:2]
    [('01', 0.5), ('02', None)]
    """
    out_dir = Path(out_dir)
    nbs = [p for p in study_notebooks(notebooks_dir) if p.name[:2] in VARIANT_NOTEBOOKS]
    dirs = {"processed_dir": str(out_dir / "processed"), "tables_dir": str(out_dir / "tables"),
            "figures_dir": str(out_dir / "figures")}
    plan, used = [], set()
    for nb in nbs:
        declared = notebook_parameters(nb)
        given = {k: v for k, v in {**params, **dirs}.items() if k in declared}
        used |= set(given)
        plan.append((nb, out_dir / "notebooks" / nb.name, given))
    unknown = sorted(set(params) - used)
    if unknown:
        raise ValueError(f"variant {name!r}: no notebook declares parameter(s) {', '.join(unknown)}")
    return plan


def run_variant(name: str, *, variants_file: str | Path | None = None, out_root: str | Path | None = None,
                jobs: int = DEFAULT_JOBS) -> Path:
    """Execute every study notebook for one variant into ``build/variants/NAME/``.

    ``jobs`` notebooks run at once where they do not read each other (:func:`plan_needs`).

    Parameters
    ----------
    name : str
        A variant of ``variants.yaml``.
    variants_file : path-like, optional
        The variants file (default the project's).
    out_root : path-like, optional
        Where the variant's folder goes (default ``build/variants``).
    jobs : int
        Notebooks run at once.

    Returns
    -------
    pathlib.Path
        The variant's folder.

    Examples
    --------
    A run executes notebooks 01–06 (minutes: ``make variants``); a name the file does not
    define is refused before anything runs:

    >>> from hpmob.variants import run_variant
    >>> try:
    ...     run_variant("no-such-variant")
    ... except ValueError as err:
    ...     print(str(err).split(";")[0])
    unknown variant 'no-such-variant'
    """
    variants = load_variants(variants_file)
    if name not in variants:
        raise ValueError(f"unknown variant {name!r}; variants.yaml defines {', '.join(variants)}")
    root = project_root()
    out_dir = (Path(out_root) if out_root is not None else root / "build" / "variants") / name
    plan = variant_plan(name, variants[name], out_dir)
    run_plan(plan, label=f"variant {name} ", jobs=jobs, needs=plan_needs(plan))
    return out_dir


def variant_settings(params: dict, notebooks_dir: str | Path | None = None) -> dict:
    """Give every notebook parameter's value under a variant: the notebooks' defaults, then ``params``.

    Notebooks 01–06 declare their parameters in their ``parameters`` cells; a name declared
    by several (``seed`` in 03 and 05) has the same default in each.

    Parameters
    ----------
    params : dict
        The variant's parameters.
    notebooks_dir : path-like, optional
        The study's notebooks (default ``notebooks/``).

    Returns
    -------
    dict
        Parameter name to value; a name no notebook declares is a ``ValueError``.

    Examples
    --------
    >>> from hpmob.variants import variant_settings
    >>> settings = variant_settings({"n_boot": 200})
    >>> settings["n_boot"], "seed" in settings
    (200, True)
    """
    import json

    settings: dict = {}
    for nb in study_notebooks(notebooks_dir):
        if nb.name[:2] in VARIANT_NOTEBOOKS:
            names = notebook_parameters(nb)  # also checks that the cell exists
            cell = next(c for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]
                        if "parameters" in c.get("metadata", {}).get("tags", []))
            values: dict = {}
            # the compendium's own parameters cell: plain assignments, run as papermill would
            exec("".join(cell["source"]), {}, values)  # noqa: S102
            for key in names:
                settings.setdefault(key, values[key])
    unknown = sorted(set(params) - set(settings))
    if unknown:
        raise ValueError(f"no notebook declares parameter(s) {', '.join(unknown)}")
    return {**settings, **params}


def run_variant_in_process(name: str, *, variants_file: str | Path | None = None,
                           out_root: str | Path | None = None, params: dict | None = None) -> Path:
    """Compute a variant's results in this process (no notebook kernels) into ``OUT/NAME``.

    Writes ``processed/`` and ``tables/`` as the notebooks would (figures and executed
    notebooks are not produced), with the claims table built from the written tables.

    Parameters
    ----------
    name : str
        A variant of ``variants.yaml`` (or any name, with ``params``).
    variants_file, out_root
        As in :func:`run_variant`; ``out_root`` defaults to ``build/variants-inprocess``.
    params : dict, optional
        Parameters to use instead of the variant's (a point of a larger grid).

    Returns
    -------
    pathlib.Path
        The variant's folder; the claims table is ``tables/claims.csv``.

    Examples
    --------
    A variant runs every analysis step (about ten seconds: ``make variants-inprocess``);
    a name the file does not define is refused before anything runs:

    >>> from hpmob.variants import run_variant_in_process
    >>> try:
    ...     run_variant_in_process("no-such-variant")
    ... except ValueError as err:
    ...     print(str(err).split(";")[0])
    unknown variant 'no-such-variant'
    """
    from hpmob.claims import claims_table
    from hpmob.clean import CleaningRules
    from hpmob.codebook import load_codebook
    from hpmob.study import steps
    from hpmob.study.plan import load_plan

    if params is None:
        variants = load_variants(variants_file)
        if name not in variants:
            raise ValueError(f"unknown variant {name!r}; variants.yaml defines {', '.join(variants)}")
        params = variants[name]
    p = variant_settings(params)
    root = project_root()
    out_dir = (Path(out_root) if out_root is not None else root / "build" / "variants-inprocess") / name
    shutil.rmtree(out_dir, ignore_errors=True)
    tables = out_dir / "tables"
    codebook = load_codebook(root / p["codebook_file"])
    plan = load_plan(root / p["plan_file"], codebook=codebook).with_settings(
        agree_threshold=p["agree_threshold"], indirect_method=p["indirect_method"], missing=p["missing"])
    rules = CleaningRules(speeder_fraction=p["speeder_fraction"], max_item_missing=p["max_item_missing"],
                          straightline_min_items=p["straightline_min_items"],
                          min_age_at_entry=p["min_age_at_entry"], apply=tuple(p["rules"]))
    cleaned = steps.cleaning(root / p["raw_file"], codebook, plan, rules, processed_dir=out_dir / "processed",
                             verify_manifest=p["verify_raw_manifest"], source=p["raw_file"])
    cleaned.write_tables(tables, ["cleaning_flow", "missingness", "sample_composition"])
    from hpmob.clean import read_responses

    # what notebooks 02-05 read: the processed file, not the in-memory frame
    responses = read_responses(out_dir / "processed" / "responses.csv", codebook)
    steps.descriptives(responses, codebook, plan, min_items=p["min_items"], min_cell=p["min_cell"]).write_tables(
        tables, None)
    steps.measurement(responses, codebook, plan, estimator=p["estimator"], seed=p["seed"], n_iter=p["n_iter"],
                      run_ordinal=p["run_ordinal"]).write_tables(tables)
    invariance = steps.invariance(responses, codebook, plan)
    invariance.write_tables(tables)
    # notebook 04 also writes the ordinal sequence, set beside the ML one
    steps.ordinal_invariance(responses, codebook, plan, ml=invariance).write_tables(tables)
    steps.comparisons(responses, codebook, plan, min_cell=p["min_cell"]).write_tables(tables)
    steps.structural(responses, codebook, plan, methods=("delta", "montecarlo", "bootstrap"), n_boot=p["n_boot"],
                     n_mc=p["n_mc"], seed=p["seed"], n_jobs=p["n_jobs"], controls=p["level_covariates"],
                     estimator=p["sem_estimator"]).write_tables(tables)
    claims_table(tables, codebook=codebook, plan=plan).write_tables(tables, ["claims", "claims_vi"])
    return out_dir


def directory_digest(folder: str | Path) -> dict[str, str]:
    """Compute the SHA-256 of every file under ``folder``, keyed by its path relative to ``folder``.

    Parameters
    ----------
    folder : path-like
        The folder.

    Returns
    -------
    dict
        POSIX relative path to hex digest, in path order.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.variants import directory_digest
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "tables").mkdir()
    >>> _ = (folder / "tables" / "t.csv").write_text("")
    >>> directory_digest(folder)
    {'tables/t.csv': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'}
    """
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def digest_differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """List the differences between two :func:`directory_digest` results (empty if identical).

    Parameters
    ----------
    before, after : dict
        Relative path to SHA-256, before and after a rerun.

    Returns
    -------
    list of str
        Missing, new and changed files, in that order, each sorted.

    Examples
    --------
    >>> from hpmob.variants import digest_differences
    >>> digest_differences({"a.csv": "1", "b.csv": "2"}, {"a.csv": "1", "b.csv": "3", "c.csv": "4"})
    ['new after rerun: c.csv', 'changed: b.csv']
    """
    out = [f"missing after rerun: {f}" for f in sorted(set(before) - set(after))]
    out += [f"new after rerun: {f}" for f in sorted(set(after) - set(before))]
    out += [f"changed: {f}" for f in sorted(set(before) & set(after)) if before[f] != after[f]]
    return out


def check_variant(name: str, *, variants_file: str | Path | None = None,
                  out_root: str | Path | None = None) -> tuple[int, list[str]]:
    """Rerun a built variant in place and compare every file byte for byte.

    Parameters
    ----------
    name : str
        A variant of ``variants.yaml``.
    variants_file : path-like, optional
        The variants file (default the project's ``variants.yaml``).
    out_root : path-like, optional
        Where the variants are built (default ``build/variants``).

    Returns
    -------
    (int, list of str)
        Number of files compared and the differences (empty when the rerun reproduced
        the folder exactly).

    Raises
    ------
    FileNotFoundError
        If the variant has not been built yet.

    Examples
    --------
    The check reruns a built variant (minutes: ``make check-variants``); one never built is
    refused at once:

    >>> import tempfile
    >>> from hpmob.variants import check_variant
    >>> try:
    ...     check_variant("main", out_root=tempfile.mkdtemp())
    ... except FileNotFoundError as err:
    ...     print(str(err).split(" in ")[0])
    variant 'main' is not built
    """
    root = project_root()
    out_dir = (Path(out_root) if out_root is not None else root / "build" / "variants") / name
    stamp = out_dir / ".done"  # make's stamp, not an output of the run
    before = {f: h for f, h in directory_digest(out_dir).items() if f != ".done"} if out_dir.is_dir() else {}
    if not before:
        raise FileNotFoundError(f"variant {name!r} is not built in {out_dir}; run `make variants` first")
    had_stamp = stamp.exists()
    shutil.rmtree(out_dir)  # from scratch, so a file the rerun no longer writes shows up as missing
    run_variant(name, variants_file=variants_file, out_root=out_root)
    after = directory_digest(out_dir)
    if had_stamp:
        stamp.touch()
    return len(before), digest_differences(before, after)


def robustness_table(variants_dir: str | Path) -> pd.DataFrame:
    """Set the claims of every built variant side by side.

    Parameters
    ----------
    variants_dir : path-like
        The folder of built variants (``NAME/tables/claims.csv`` each).

    Returns
    -------
    DataFrame
        One row per claim and variant: ``claim, hypothesis, variant, estimate, ci_low,
        ci_high, verdict``, plus ``changes`` (True where the verdict differs from the
        ``main`` variant).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from hpmob.variants import robustness_table
    >>> root = Path(tempfile.mkdtemp())
    >>> for name, verdict in [("main", "supported"), ("listwise", "not supported")]:
    ...     (root / name / "tables").mkdir(parents=True)
    ...     pd.DataFrame({"claim": ["c1"], "hypothesis": ["hyp"], "estimate": [0.5], "ci_low": [0.1],
    ...                   "ci_high": [0.9], "verdict": [verdict]}).to_csv(root / name / "tables" / "claims.csv")
    >>> robustness_table(root)[["variant", "verdict", "changes"]]
        variant        verdict  changes
    0  listwise  not supported     True
    1      main      supported    False
    """
    frames = []
    for path in sorted(Path(variants_dir).glob("*/tables/claims.csv")):
        frames.append(pd.read_csv(path).assign(variant=path.parent.parent.name))
    if not frames:
        return pd.DataFrame(columns=["claim", "hypothesis", "variant", "estimate", "ci_low", "ci_high",
                                     "verdict", "changes"])
    table = pd.concat(frames, ignore_index=True)
    main = table[table["variant"] == "main"].set_index("claim")["verdict"]
    table["changes"] = table["verdict"] != table["claim"].map(main)
    return table[["claim", "hypothesis", "variant", "estimate", "ci_low", "ci_high", "verdict", "changes"]]
