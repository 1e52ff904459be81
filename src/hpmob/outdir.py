"""Output folders that are never half-written and never lose a file they did not write.

A run (``hpmob run --raw``) writes into a temporary sibling of its output folder,
``.NAME.partial``, and only a finished run is moved to ``NAME``. An interrupted or
failed run therefore leaves no folder that looks complete, and rerunning into the
folder of an earlier run replaces only the files that run wrote (listed in its marker
file): a codebook the user kept there survives.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
>>> work = start_run(out, refuse_inside=[])
>>> _ = (work / "tables").mkdir()
>>> _ = (work / "tables" / "claims.csv").write_text("claim\\n")
>>> finish_run(work, out)
PosixPath('...run')
>>> sorted(p.name for p in out.iterdir())
['.hpmob-run', 'tables']
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Marker of a finished run's folder; lists every file the run wrote, one per line.
RUN_MARKER = ".hpmob-run"
#: Marker of a run in progress (in the temporary sibling folder).
PARTIAL_MARKER = ".hpmob-partial"
#: Marker written by earlier versions (no file list): the folder was a run's.
LEGACY_MARKER = ".hpmob-own-export"


class OutputFolderError(ValueError):
    """The output folder cannot be used; the message says why and what to do.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.outdir import OutputFolderError, start_run
    >>> out = Path(tempfile.mkdtemp())
    >>> _ = (out / "notes.txt").write_text("mine")  # a file no run wrote
    >>> try:
    ...     start_run(out, refuse_inside=[])
    ... except OutputFolderError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    OutputFolderError True
    """


def partial_folder(out: Path) -> Path:
    """Return the temporary sibling a run into ``out`` writes to.

    Parameters
    ----------
    out : pathlib.Path
        The run's output folder.

    Returns
    -------
    pathlib.Path
        ``.<name>.partial`` beside ``out``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from hpmob.outdir import partial_folder
    >>> partial_folder(Path("/tmp/results")).as_posix()
    '/tmp/.results.partial'
    """
    return out.with_name(f".{out.name}.partial")


def previous_folder(out: Path) -> Path:
    """Return where an earlier run's folder waits while a new run replaces it (for a moment).

    Parameters
    ----------
    out : pathlib.Path
        The run's output folder.

    Returns
    -------
    pathlib.Path
        ``.<name>.previous`` beside ``out``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from hpmob.outdir import previous_folder
    >>> previous_folder(Path("/tmp/results")).as_posix()
    '/tmp/.results.previous'
    """
    return out.with_name(f".{out.name}.previous")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def start_run(out: str | Path, *, refuse_inside: list[Path]) -> Path:
    """Check ``out`` and create the empty temporary folder of a run into it.

    Parameters
    ----------
    out : path-like
        The folder the finished run will be in: new, empty, or an earlier run's.
    refuse_inside : list of path-like
        Folders ``out`` may not lie in (the raw-data folder, the export's folder).

    Returns
    -------
    pathlib.Path
        The temporary folder to write into; pass it to :func:`finish_run`.

    Raises
    ------
    OutputFolderError
        ``out`` is a file, inside a refused folder, holds files no run wrote, or its
        parent cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.outdir import start_run
    >>> base = Path(tempfile.mkdtemp())
    >>> work = start_run(base / "run", refuse_inside=[base / "raw"])
    >>> work.name, work.is_dir()
    ('.run.partial', True)
    """
    out = Path(out).resolve()
    for folder in refuse_inside:
        folder = Path(folder).resolve()
        if _inside(out, folder):
            raise OutputFolderError(f"--out {out} lies inside {folder}, which holds raw data and is read-only; "
                                    "choose a folder outside it")
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out} is a file, not a folder; give a new folder name")
    if out.is_dir() and any(out.iterdir()) and not _written_by_run(out):
        raise OutputFolderError(f"--out {out} is not empty and was not written by `hpmob run`; choose a new "
                                "folder (nothing in it was touched)")
    parent = out.parent
    if parent.exists() and not parent.is_dir():
        raise OutputFolderError(f"--out {out}: {parent} is a file, not a folder")
    if previous_folder(out).exists():
        raise OutputFolderError(f"{previous_folder(out)} holds files of an earlier run into {out} that was stopped "
                                "while it replaced them; move what you want to keep into the folder, remove it, "
                                "and rerun")
    work = partial_folder(out)
    if work.exists():
        if not (work / PARTIAL_MARKER).is_file():
            raise OutputFolderError(f"{work} exists and was not made by `hpmob run`; remove or rename it")
        shutil.rmtree(work)  # an interrupted earlier run's leftovers, all written by it
    try:
        work.mkdir(parents=True)
        (work / PARTIAL_MARKER).write_text("a run in progress or interrupted; never complete\n", encoding="utf-8")
    except OSError as err:
        raise OutputFolderError(f"--out {out}: cannot write in {parent} ({err.strerror}); choose a folder you "
                                "can write to") from None
    return work


def _written_by_run(out: Path) -> bool:
    return (out / RUN_MARKER).is_file() or (out / LEGACY_MARKER).is_file()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def written_files(out: Path) -> set[str]:
    """Return the files an earlier run recorded as its own (relative paths).

    Parameters
    ----------
    out : pathlib.Path
        A run's output folder.

    Returns
    -------
    set of str
        Paths relative to ``out``, the run's marker file included; empty for a folder no
        run wrote.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.outdir import written_files
    >>> written_files(Path(tempfile.mkdtemp()))
    set()
    """
    marker = out / RUN_MARKER
    if marker.is_file():
        return {line for line in marker.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")}
    if (out / LEGACY_MARKER).is_file():  # no list: only the folders a run writes count as its own
        own = ("notebooks/", "processed/", "tables/", "figures/", "book/")
        return {f for f in _files(out) if f.startswith(own)} | {LEGACY_MARKER}
    return set()


def finish_run(work: Path, out: str | Path) -> Path:
    """Move a finished run from ``work`` to ``out``, keeping every file of ``out`` no run wrote.

    Parameters
    ----------
    work : pathlib.Path
        The temporary folder from :func:`start_run`, the run's files written into it.
    out : path-like
        The folder the run goes to; an earlier run's files in it are replaced, the user's kept.

    Returns
    -------
    pathlib.Path
        ``out``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.outdir import finish_run, start_run, written_files
    >>> out = Path(tempfile.mkdtemp()) / "run"
    >>> work = start_run(out, refuse_inside=[])
    >>> _ = (work / "tables").mkdir()
    >>> _ = (work / "tables" / "t.csv").write_text("a\\n1\\n")
    >>> finish_run(work, out) == out.resolve(), sorted(written_files(out))
    (True, ['.hpmob-run', 'tables/t.csv'])
    """
    out = Path(out).resolve()
    (work / PARTIAL_MARKER).unlink()
    files = _files(work)
    (work / RUN_MARKER).write_text("# files written by hpmob run (replaced by the next run into this folder)\n"
                                   + "".join(f"{f}\n" for f in [*files, RUN_MARKER]), encoding="utf-8")
    if not out.exists():
        work.rename(out)
        return out
    ours = written_files(out)
    theirs = [f for f in _files(out) if f not in ours]
    previous = previous_folder(out)  # start_run made sure it does not exist
    out.rename(previous)
    work.rename(out)
    for rel in theirs:  # the user's files go back where they were
        dest = out / rel
        if dest.exists():  # the new run wrote a file of that name: keep both
            dest = dest.with_name(dest.name + ".kept")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(previous / rel, dest)
    for rel in ours:
        (previous / rel).unlink(missing_ok=True)
    for folder in sorted((p for p in previous.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()
    if not any(previous.iterdir()):
        previous.rmdir()
    return out


def make_read_only(paths) -> list[Path]:
    """Remove write permission (user, group, others) from files and return those changed.

    Raw exports are read-only by convention (README) and now by mode, so an editor or a
    script cannot change them by accident.

    Parameters
    ----------
    paths : iterable of path-like
        The files.

    Returns
    -------
    list of pathlib.Path
        The files that had a write bit.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.outdir import make_read_only
    >>> path = Path(tempfile.mkdtemp()) / "raw.csv"
    >>> _ = path.write_text("a\\n")
    >>> len(make_read_only([path])), len(make_read_only([path])), oct(path.stat().st_mode & 0o222)
    (1, 0, '0o0')
    """
    changed = []
    for path in map(Path, paths):
        mode = path.stat().st_mode
        if mode & 0o222:
            path.chmod(mode & ~0o222)
            changed.append(path)
    return changed
