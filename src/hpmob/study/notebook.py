"""What every study notebook does first and last: open the study, save a figure.

Keeps the notebooks' code cells to a call, a display and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hpmob.codebook import Codebook, load_codebook
from hpmob.paths import input_path, output_dir, project_root
from hpmob.study.plan import AnalysisPlan, load_plan

__all__ = ["StudySession", "display_names", "open_study", "save_figure"]


@dataclass
class StudySession:
    """Paths, codebook, plan and (when read) the processed responses of one notebook run."""

    root: Path
    codebook: Codebook
    plan: AnalysisPlan
    tables: Path
    figures: Path
    responses: pd.DataFrame | None = None


def open_study(codebook_file: str, plan_file: str, *, processed_dir: str | None = None,
               tables_dir: str = "results/tables", figures_dir: str = "results/figures", **settings) -> StudySession:
    """Load codebook and plan (checked against each other), create the output folders and read
    ``processed_dir/responses.csv`` when given. ``settings`` override the plan's estimation
    settings (notebook parameters such as ``agree_threshold``)."""
    from hpmob.clean import read_responses

    root = project_root()
    codebook = load_codebook(root / codebook_file)
    plan = load_plan(root / plan_file, codebook=codebook).with_settings(**settings)
    # outputs under hpmob.paths.output_root: the project in a build, build/scratch/ in an interactive rerun
    tables, figures = output_dir(tables_dir), output_dir(figures_dir)
    responses = read_responses(input_path(processed_dir) / "responses.csv", codebook) if processed_dir else None
    pd.set_option("display.max_colwidth", 100)
    return StudySession(root, codebook, plan, tables, figures, responses)


def save_figure(fig, path: str | Path) -> None:
    """Save a figure as PNG without the software tag, so reruns write identical bytes."""
    fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Software": None})


def display_names(codebook: Codebook, plan: AnalysisPlan, lang: str = "en") -> dict:
    """Names in words for the variables of the plan's models, as the codebook and the plan word
    them: constructs by their labels, covariates by their ``label``, dummy columns by the value
    labels of their attribute (for figures: nodes and axes name variables, not codes)."""
    names = dict(zip(codebook.constructs["code"], codebook.constructs[f"label_{lang}"]))
    for name, spec in plan.covariates.items():
        if spec.get("coding") == "dummy":
            labels = codebook.value_labels(spec["source"], lang)
            names.update({value: label for value, label in labels.items() if value != spec.get("reference")})
        elif spec.get("label"):
            names[name] = spec["label"][lang]
    return names
