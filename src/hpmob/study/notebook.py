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

__all__ = ["StudySession", "covariate_names", "display_names", "open_study", "save_figure"]


@dataclass
class StudySession:
    """Paths, codebook, plan and (when read) the processed responses of one notebook run.

    Parameters
    ----------
    root : pathlib.Path
        The project root.
    codebook : Codebook
        The instrument.
    plan : AnalysisPlan
        The analysis plan, checked against it.
    tables, figures : pathlib.Path
        The output folders.
    responses : DataFrame, optional
        The processed responses, when read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.study.notebook import open_study
    >>> out = Path(tempfile.mkdtemp())
    >>> s = open_study("data/codebook.yaml", "data/analysis_plan.yaml", tables_dir=str(out / "t"),
    ...                figures_dir=str(out / "f"))
    >>> type(s).__name__, s.tables.is_dir(), s.responses is None
    ('StudySession', True, True)
    """

    root: Path
    codebook: Codebook
    plan: AnalysisPlan
    tables: Path
    figures: Path
    responses: pd.DataFrame | None = None


def open_study(codebook_file: str, plan_file: str, *, processed_dir: str | None = None,
               tables_dir: str = "results/tables", figures_dir: str = "results/figures", **settings) -> StudySession:
    """Load codebook and plan (checked against each other), create the output folders, read the responses.

    Parameters
    ----------
    codebook_file, plan_file : str
        Paths relative to the project root (or absolute).
    processed_dir : str, optional
        Folder of ``responses.csv`` to read (None: no responses).
    tables_dir, figures_dir : str
        Output folders, under :func:`hpmob.paths.output_root` when relative.
    **settings
        Override the plan's estimation settings (notebook parameters such as
        ``agree_threshold``); None values are ignored.

    Returns
    -------
    StudySession
        Paths, codebook, plan and responses.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.study.notebook import open_study
    >>> out = Path(tempfile.mkdtemp())
    >>> s = open_study("data/codebook.yaml", "data/analysis_plan.yaml", tables_dir=str(out / "t"),
    ...                figures_dir=str(out / "f"), agree_threshold=0.75)
    >>> s.plan.estimation["agree_threshold"], s.figures.is_dir()
    (0.75, True)
    """
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
    """Save a figure as PNG without the software tag, so reruns write identical bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : path-like
        The PNG to write (150 dpi).

    Examples
    --------
    >>> import hashlib
    >>> import tempfile
    >>> from pathlib import Path
    >>> import matplotlib.pyplot as plt
    >>> from hpmob.study.notebook import save_figure
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> a, b = Path(tempfile.mkdtemp()) / "a.png", Path(tempfile.mkdtemp()) / "b.png"
    >>> save_figure(fig, a); save_figure(fig, b)
    >>> hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    True
    """
    fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Software": None})


def display_names(codebook: Codebook, plan: AnalysisPlan, lang: str = "en") -> dict:
    """Name the variables of the plan's models in words, as the codebook and the plan word them.

    Constructs by their labels, covariates by their ``label``, dummy columns by the value
    labels of their attribute (for figures: nodes and axes name variables, not codes).

    Parameters
    ----------
    codebook : Codebook
        Gives the constructs' and attribute values' labels.
    plan : AnalysisPlan
        Gives the covariates' labels.
    lang : {"en", "vi"}
        The language.

    Returns
    -------
    dict
        Variable (construct, covariate or dummy column) to its name in words.

    Examples
    --------
    >>> from hpmob.study.notebook import display_names
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> names = display_names(codebook, plan)
    >>> all(c in names for c in plan.constructs)
    True
    """
    names = dict(zip(codebook.constructs["code"], codebook.constructs[f"label_{lang}"]))
    names.update(covariate_names(codebook, plan, lang))
    return names


def covariate_names(codebook: Codebook, plan: AnalysisPlan, lang: str = "en") -> dict:
    """Name the plan's observed covariates in words (tables keep the constructs' short codes).

    Parameters
    ----------
    codebook : Codebook
        Gives the value labels of dummy-coded attributes.
    plan : AnalysisPlan
        Gives the covariates and their ``label``.
    lang : {"en", "vi"}
        The language.

    Returns
    -------
    dict
        Covariate (or dummy column) name in the model syntax to its name in words.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> from hpmob.study.notebook import covariate_names
    >>> codebook = load_codebook()
    >>> names = covariate_names(codebook, load_plan(codebook=codebook))
    >>> names["training_z"], names["district"]
    ('training courses', 'District')
    """
    names = {}
    for name, spec in plan.covariates.items():
        if spec.get("coding") == "dummy":
            labels = codebook.value_labels(spec["source"], lang)
            names.update({value: label for value, label in labels.items() if value != spec.get("reference")})
        elif spec.get("label"):
            names[name] = spec["label"][lang]
    return names
