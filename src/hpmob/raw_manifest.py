"""The checksum manifest of the raw exports, and their read-only marks.

The third part of :mod:`hpmob.io`, which re-exports every public name here and is where
to import them from: :func:`write_manifest` records the SHA-256 of every raw file in
``MANIFEST.sha256``, :func:`verify_manifest` compares the files with it, and
:func:`protect_raw_files` marks them read-only, so an edited export is noticed before
anything is computed from it.

Examples
--------
>>> from hpmob.raw_manifest import sha256_file
>>> from hpmob.paths import project_root
>>> len(sha256_file(project_root() / "data" / "raw" / "hpmob_survey_export.csv"))
64
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from hpmob.export_reading import ExportError, Problem, file_problem

__all__ = ["MANIFEST_NAME", "protect_raw_files", "raw_files", "sha256_file", "verify_manifest", "write_manifest"]


MANIFEST_NAME = "MANIFEST.sha256"


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 digest of a file, read in chunks so large exports fit in memory.

    Parameters
    ----------
    path : path-like
        The file.
    chunk_size : int
        Bytes read at a time.

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.io import sha256_file
    >>> path = Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = path.write_bytes(b"")
    >>> sha256_file(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def raw_files(raw_dir: str | Path) -> list[Path]:
    """List the raw export files of ``raw_dir`` (the manifest and README are not raw data).

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports.

    Returns
    -------
    list of pathlib.Path
        Sorted by name; empty when the folder does not exist.

    Examples
    --------
    >>> from hpmob.io import raw_files
    >>> from hpmob.paths import project_root
    >>> [p.name for p in raw_files(project_root() / "data" / "raw")]
    ['hpmob_survey_export.csv']
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.iterdir()
                  if p.is_file() and p.name not in {MANIFEST_NAME, "README.md", ".gitkeep"})


def write_manifest(raw_dir: str | Path) -> Path:
    """Record the SHA-256 of every raw file in ``raw_dir/MANIFEST.sha256`` (``sha256sum`` format).

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports.

    Returns
    -------
    pathlib.Path
        The manifest written (made writable for the write if it was read-only).

    Examples
    --------
    >>> from hpmob.io import verify_manifest, write_manifest
    >>> import shutil
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.paths import project_root
    >>> raw_dir = Path(tempfile.mkdtemp())
    >>> _ = shutil.copyfile(project_root() / "data" / "raw" / "hpmob_survey_export.csv", raw_dir / "export.csv")
    >>> write_manifest(raw_dir).name
    'MANIFEST.sha256'
    >>> len(verify_manifest(raw_dir))
    1
    """
    raw_dir = Path(raw_dir)
    lines = [f"{sha256_file(p)}  {p.name}\n" for p in raw_files(raw_dir)]
    out = raw_dir / MANIFEST_NAME
    if out.exists():  # read-only once protected: writable again for this one write
        out.chmod(out.stat().st_mode | 0o200)
    out.write_text("".join(lines), encoding="utf-8")
    return out


def protect_raw_files(raw_dir: str | Path) -> list[Path]:
    """Make the raw exports and their manifest read-only (mode a-w).

    ``make all`` and ``hpmob manifest`` call it, so the README's "data/raw is read-only"
    holds for the files themselves; the folder stays writable for a new export.

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports.

    Returns
    -------
    list of pathlib.Path
        The files whose mode changed (already read-only ones are left out).

    Examples
    --------
    >>> from hpmob.io import protect_raw_files, write_manifest
    >>> import shutil
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.paths import project_root
    >>> raw_dir = Path(tempfile.mkdtemp())
    >>> _ = shutil.copyfile(project_root() / "data" / "raw" / "hpmob_survey_export.csv", raw_dir / "export.csv")
    >>> _ = write_manifest(raw_dir)
    >>> [p.name for p in protect_raw_files(raw_dir)]
    ['export.csv', 'MANIFEST.sha256']
    >>> protect_raw_files(raw_dir)  # a second call changes nothing
    []
    """
    from hpmob.outdir import make_read_only

    raw_dir = Path(raw_dir)
    manifest = raw_dir / MANIFEST_NAME
    return make_read_only([*raw_files(raw_dir), *([manifest] if manifest.is_file() else [])])


def verify_manifest(raw_dir: str | Path) -> pd.DataFrame:
    """Check the raw files against ``MANIFEST.sha256`` before anything reads them.

    Parameters
    ----------
    raw_dir : path-like
        The folder of raw exports and its ``MANIFEST.sha256``.

    Returns
    -------
    DataFrame
        ``file, sha256`` of the verified files.

    Raises
    ------
    ExportError
        If the manifest is missing, a listed file is missing or changed, or a raw file
        is not listed — each named, with what to do.

    Examples
    --------
    >>> from hpmob.io import verify_manifest
    >>> from hpmob.paths import project_root
    >>> verify_manifest(project_root() / "data" / "raw")["file"].tolist()
    ['hpmob_survey_export.csv']
    """
    raw_dir = Path(raw_dir)
    manifest = raw_dir / MANIFEST_NAME
    if not manifest.is_file():
        raise file_problem(manifest, "the raw-data manifest is missing",
                           "run 'hpmob manifest --write' once for a new export and commit the manifest")
    recorded = {}
    for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            digest, _, name = line.partition("  ")
            recorded[name.strip()] = (digest.strip(), n)
    problems = []
    for name, (digest, n) in recorded.items():
        path = raw_dir / name
        if not path.is_file():
            problems.append(Problem(str(manifest), n, None, name, "listed raw file is missing",
                                    f"restore {path} (raw files are never deleted)"))
        elif sha256_file(path) != digest:
            problems.append(Problem(
                str(path), None, None, None,
                f"SHA-256 {sha256_file(path)[:16]}… differs from the manifest's {digest[:16]}…: the raw file was modified",
                f"raw data are read-only: restore the original (e.g. git checkout -- {path}); if a new "
                "export replaces it on purpose, run 'hpmob manifest --write' and commit why",
            ))
    for path in raw_files(raw_dir):
        if path.name not in recorded:
            problems.append(Problem(str(path), None, None, None, "raw file is not listed in the manifest",
                                    "run 'hpmob manifest --write' if it is a new export, else remove it"))
    if problems:
        raise ExportError(problems)
    return pd.DataFrame([{"file": k, "sha256": v[0]} for k, v in recorded.items()])
