"""Study metadata: the published study the compendium rebuilds, its hypotheses and frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from hpmob.paths import project_root

REQUIRED_KEYS = ("title", "journal", "year", "doi", "abstract", "data_statement", "hypotheses")


def load_study(path: str | Path | None = None) -> dict:
    """Load the study metadata (``data/study.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        YAML file to read; defaults to ``data/study.yaml`` under the project root.

    Returns
    -------
    dict
        Title, citation fields, abstract, synthetic-data statement, hypotheses and
        sampling frame.

    Raises
    ------
    ValueError
        If a required key is missing, naming the file and the key.

    Examples
    --------
    >>> from hpmob.study import load_study
    >>> load_study()["doi"]
    '10.11648/j.jppa.20250902.11'
    """
    path = Path(path) if path is not None else project_root() / "data" / "study.yaml"
    with open(path, encoding="utf-8") as fh:
        study = yaml.safe_load(fh) or {}
    missing = [key for key in REQUIRED_KEYS if key not in study]
    if missing:
        raise ValueError(
            f"{path}: study metadata lacks {', '.join(missing)}; add them to the YAML file."
        )
    return study


def citation(study: dict) -> str:
    """Format the study as a one-line citation (journal style, no authors: only the abstract is public).

    Parameters
    ----------
    study : dict
        The study metadata (:func:`load_study`): ``title, journal, volume, issue, year, doi``.

    Returns
    -------
    str
        "Title. Journal volume(issue), year. doi:…".

    Examples
    --------
    >>> from hpmob.study.metadata import load_study
    >>> study = load_study()
    >>> citation(study).endswith("doi:" + study["doi"])
    True
    """
    return (
        f"{study['title'].strip()}. {study['journal']} {study['volume']}({study['issue']}), "
        f"{study['year']}. doi:{study['doi']}"
    )


def hypotheses_table(study: dict) -> pd.DataFrame:
    """Return the hypotheses as a tidy table with columns ``id, claim, path, sign``.

    Parameters
    ----------
    study : dict
        The study metadata with its ``hypotheses`` list.

    Returns
    -------
    DataFrame
        One row per hypothesis in words.

    Examples
    --------
    >>> from hpmob.study.metadata import load_study
    >>> study = load_study()
    >>> hypotheses_table(study).columns.tolist(), len(hypotheses_table(study)) == len(study["hypotheses"])
    (['id', 'claim', 'path', 'sign'], True)
    """
    return pd.DataFrame(study["hypotheses"], columns=["id", "claim", "path", "sign"])


def sampling_frame_table(study: dict) -> pd.DataFrame:
    """Return the sampling frame as a table with columns ``level, units, design``.

    Parameters
    ----------
    study : dict
        The study metadata (its ``sampling_frame``, if any).

    Returns
    -------
    DataFrame
        One row per level of the frame (empty without one).

    Examples
    --------
    >>> from hpmob.study.metadata import sampling_frame_table
    >>> sampling_frame_table({}).columns.tolist()
    ['level', 'units', 'design']
    """
    return pd.DataFrame(study.get("sampling_frame", []), columns=["level", "units", "design"])
