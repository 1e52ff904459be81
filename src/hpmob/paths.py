"""Where the compendium's files live.

Notebooks run with different working directories (JupyterLab starts them in
``notebooks/``, papermill and nbval in other places), so every path is resolved
from the project root rather than from the current directory.
"""

from __future__ import annotations

import os
import shutil
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
    """Return ``data/<kind>`` under the project root (``raw`` or ``processed``).

    Parameters
    ----------
    kind : {"raw", "processed"}
        Which data folder.

    Returns
    -------
    pathlib.Path
        The folder (not created).

    Examples
    --------
    >>> from hpmob.paths import data_dir, project_root
    >>> data_dir() == project_root() / "data" / "raw"
    True
    """
    if kind not in {"raw", "processed"}:
        raise ValueError(f"kind must be 'raw' or 'processed', not {kind!r}")
    return project_root() / "data" / kind


def results_dir(kind: str = "tables") -> Path:
    """Return ``results/<kind>`` under the project root, creating it if needed.

    Parameters
    ----------
    kind : {"tables", "figures"}
        Which results folder.

    Returns
    -------
    pathlib.Path
        The folder, which exists.

    Examples
    --------
    >>> from hpmob.paths import project_root, results_dir
    >>> results_dir("figures") == project_root() / "results" / "figures"
    True
    """
    if kind not in {"tables", "figures"}:
        raise ValueError(f"kind must be 'tables' or 'figures', not {kind!r}")
    path = project_root() / "results" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


#: Environment variable naming the folder relative output paths are resolved against.
OUTPUT_ENV = "HPMOB_OUTPUT_ROOT"
#: Where runs write when nobody named an output root: an interactive rerun in JupyterLab
#: (or nbval) must not overwrite what `make all` built.
SCRATCH = Path("build") / "scratch"


def output_root() -> Path:
    """Return the folder that relative output paths (``results/tables``, ...) resolve against.

    ``$HPMOB_OUTPUT_ROOT`` when set — the build sets it to the project root, so `make all`,
    ``hpmob run-notebook`` and the variants write the real results — and otherwise
    ``build/scratch/`` under the project root, so a notebook rerun interactively cannot
    silently overwrite the results `make all` built.

    Returns
    -------
    pathlib.Path
        ``$HPMOB_OUTPUT_ROOT`` (resolved) or ``build/scratch`` under the project root.

    Examples
    --------
    >>> import os
    >>> from hpmob.paths import OUTPUT_ENV, output_root, project_root
    >>> saved = os.environ.pop(OUTPUT_ENV, None)
    >>> output_root() == project_root() / "build" / "scratch"
    True
    >>> os.environ[OUTPUT_ENV] = str(project_root())
    >>> output_root() == project_root()
    True
    >>> _ = os.environ.pop(OUTPUT_ENV) if saved is None else os.environ.update({OUTPUT_ENV: saved})
    """
    if os.environ.get(OUTPUT_ENV):
        return Path(os.environ[OUTPUT_ENV]).resolve()
    return project_root() / SCRATCH


def output_dir(relative: str | os.PathLike) -> Path:
    """Return an output folder (created if missing): absolute paths as given, relative ones under :func:`output_root`.

    A scratch folder created here starts as a copy of the files `make all` built in the same
    place, so a rerun can read what earlier notebooks wrote while writing only to scratch.

    Parameters
    ----------
    relative : path-like
        The folder, relative to :func:`output_root` or absolute.

    Returns
    -------
    pathlib.Path
        The folder, which exists.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.paths import output_dir
    >>> folder = output_dir(Path(tempfile.mkdtemp()) / "tables")
    >>> folder.is_dir()
    True
    """
    path = Path(relative)
    if path.is_absolute():
        path.mkdir(parents=True, exist_ok=True)
        return path
    target, built = output_root() / path, project_root() / path
    if not target.exists() and target != built and built.is_dir():
        target.mkdir(parents=True)
        for file in built.iterdir():
            if file.is_file():
                shutil.copy2(file, target / file.name)
    target.mkdir(parents=True, exist_ok=True)
    return target


def input_path(relative: str | os.PathLike) -> Path:
    """Return where to read a file or folder that an earlier step wrote.

    A relative path is looked up under :func:`output_root` first (what an earlier rerun in
    the same scratch folder wrote), then under the project root (what `make all` built).
    Absolute paths are returned unchanged.

    Parameters
    ----------
    relative : path-like
        A path relative to the project root (``results/tables/x.csv``), or an absolute one.

    Returns
    -------
    pathlib.Path
        The scratch copy when an earlier rerun wrote one, else the built one.

    Examples
    --------
    >>> from hpmob.paths import input_path, project_root
    >>> input_path("data/codebook.yaml") == project_root() / "data" / "codebook.yaml"
    True
    """
    path = Path(relative)
    if path.is_absolute():
        return path
    written = output_root() / path
    return written if written.exists() else project_root() / path
