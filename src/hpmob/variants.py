"""Robustness reruns: every notebook under a named set of parameters.

``variants.yaml`` names sets of notebook parameters (robust ML, stricter or more lenient
cleaning, no straight-liner rule, another agreement threshold). :func:`run_variant`
executes all study notebooks with papermill into ``build/variants/NAME/`` — its own
processed data, tables and figures — passing each notebook only the parameters its
``parameters`` cell declares. :func:`robustness_table` then sets the claims of every
variant side by side.
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


def load_variants(path: str | Path | None = None) -> dict[str, dict]:
    """Read ``variants.yaml``: ``{name: parameters}`` with the defaults merged in.

    Raises
    ------
    ValueError
        If the file lacks a ``variants`` mapping or a variant is not a mapping.
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
    """The (source, output, parameters) of each notebook run of a variant.

    Every parameter of the variant must be declared by at least one notebook, so a typo
    in ``variants.yaml`` fails before anything runs.
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


def run_variant(name: str, *, variants_file: str | Path | None = None, out_root: str | Path | None = None) -> Path:
    """Execute every study notebook for one variant into ``build/variants/NAME/``."""
    variants = load_variants(variants_file)
    if name not in variants:
        raise ValueError(f"unknown variant {name!r}; variants.yaml defines {', '.join(variants)}")
    root = project_root()
    out_dir = (Path(out_root) if out_root is not None else root / "build" / "variants") / name
    run_plan(variant_plan(name, variants[name], out_dir), label=f"variant {name} ")
    return out_dir


def directory_digest(folder: str | Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, keyed by its path relative to ``folder``."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def digest_differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable differences between two :func:`directory_digest` results (empty if identical)."""
    out = [f"missing after rerun: {f}" for f in sorted(set(before) - set(after))]
    out += [f"new after rerun: {f}" for f in sorted(set(after) - set(before))]
    out += [f"changed: {f}" for f in sorted(set(before) & set(after)) if before[f] != after[f]]
    return out


def check_variant(name: str, *, variants_file: str | Path | None = None,
                  out_root: str | Path | None = None) -> tuple[int, list[str]]:
    """Rerun a built variant in place and compare every file byte for byte.

    Returns
    -------
    (int, list of str)
        Number of files compared and the differences (empty when the rerun reproduced
        the folder exactly).

    Raises
    ------
    FileNotFoundError
        If the variant has not been built yet.
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
    """Claims of every built variant side by side.

    Returns
    -------
    DataFrame
        One row per claim and variant: ``claim, hypothesis, variant, estimate, ci_low,
        ci_high, verdict``, plus ``changes`` (True where the verdict differs from the
        ``main`` variant).
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
