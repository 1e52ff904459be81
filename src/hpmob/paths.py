"""Where the compendium's files live.

Notebooks run with different working directories (JupyterLab starts them in
``notebooks/``, papermill and nbval in other places), so every path is resolved
from the project root rather than from the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that overrides the project root (e.g. for a run on another export).
ROOT_ENV = "HPMOB_ROOT"


def project_root(start: str | os.PathLike | None = None) -> Path:
    """Return the compendium's root folder, the nearest one holding ``pyproject.toml``.

    Parameters
    ----------
    start : path-like, optional
        Folder to search upwards from. Defaults to ``$HPMOB_ROOT`` if set, else the
        current working directory, else this package's own location.

    Returns
    -------
    pathlib.Path
        Absolute path of the root.

    Raises
    ------
    FileNotFoundError
        If no ``pyproject.toml`` declaring ``name = "hpmob"`` is found above ``start``.

    Examples
    --------
    >>> from hpmob.paths import project_root
    >>> (project_root() / "pyproject.toml").exists()
    True
    """
    candidates = []
    if start is not None:
        candidates.append(Path(start))
    else:
        if os.environ.get(ROOT_ENV):
            return Path(os.environ[ROOT_ENV]).resolve()
        candidates += [Path.cwd(), Path(__file__).parent]
    for begin in candidates:
        for folder in [begin.resolve(), *begin.resolve().parents]:
            toml = folder / "pyproject.toml"
            if toml.is_file() and 'name = "hpmob"' in toml.read_text(encoding="utf-8"):
                return folder
    raise FileNotFoundError(
        f"Could not find the hpmob project root (a folder with hpmob's pyproject.toml) above "
        f"{', '.join(str(c) for c in candidates)}. Run from inside the compendium or set "
        f"${ROOT_ENV} to its folder."
    )


def data_dir(kind: str = "raw") -> Path:
    """Return ``data/<kind>`` under the project root (``raw`` or ``processed``)."""
    if kind not in {"raw", "processed"}:
        raise ValueError(f"kind must be 'raw' or 'processed', not {kind!r}")
    return project_root() / "data" / kind


def results_dir(kind: str = "tables") -> Path:
    """Return ``results/<kind>`` under the project root, creating it if needed."""
    if kind not in {"tables", "figures"}:
        raise ValueError(f"kind must be 'tables' or 'figures', not {kind!r}")
    path = project_root() / "results" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
