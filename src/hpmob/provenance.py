"""Reproducibility facts: raw-file checksums, pinned packages, interpreter and commit.

The book's reproducibility appendix is generated from these functions at build time,
so what it states is read off the machine and the lockfile, never typed by hand.
"""

from __future__ import annotations

import datetime as _dt
import platform
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from hpmob.bookpages import markdown_table, write_page
from hpmob.io import raw_files, sha256_file
from hpmob.paths import project_root

_LOCK_LINE = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)")


def raw_file_checksums(raw_dir: str | Path | None = None) -> pd.DataFrame:
    """List the raw data files with size and SHA-256.

    Parameters
    ----------
    raw_dir : path-like, optional
        Folder of raw files; defaults to ``data/raw`` under the project root.

    Returns
    -------
    pandas.DataFrame
        Columns ``file, bytes, sha256``, sorted by file name.

    Examples
    --------
    >>> from hpmob.provenance import raw_file_checksums
    >>> raw_file_checksums()[["file", "bytes"]].to_dict("records")
    [{'file': 'hpmob_survey_export.csv', 'bytes': 436060}]
    """
    raw_dir = Path(raw_dir) if raw_dir is not None else project_root() / "data" / "raw"
    rows = [{"file": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in raw_files(raw_dir)]
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"])


def locked_packages(lockfile: str | Path | None = None) -> pd.DataFrame:
    """Parse ``requirements.lock`` into a table of pinned packages.

    Parameters
    ----------
    lockfile : path-like, optional
        The lock file; default ``requirements.lock`` of the project.

    Returns
    -------
    pandas.DataFrame
        Columns ``package, version``, in lockfile (alphabetical) order.

    Examples
    --------
    >>> from hpmob.provenance import locked_packages
    >>> packages = locked_packages()
    >>> list(packages.columns), bool(packages["package"].eq("numpy").any())
    (['package', 'version'], True)
    """
    lockfile = Path(lockfile) if lockfile is not None else project_root() / "requirements.lock"
    rows = []
    for line in lockfile.read_text(encoding="utf-8").splitlines():
        match = _LOCK_LINE.match(line.strip())
        if match:
            rows.append({"package": match.group(1), "version": match.group(2)})
    return pd.DataFrame(rows, columns=["package", "version"])


def git_commit(root: str | Path | None = None) -> str:
    """Return the current git commit (with ``-dirty`` if the tree has changes), or ``unknown``.

    Parameters
    ----------
    root : path-like, optional
        The checkout; default the project root.

    Returns
    -------
    str
        The commit hash, ``-dirty`` appended when tracked files changed; a sentence starting
        with ``unknown`` outside a git checkout.

    Examples
    --------
    >>> import tempfile
    >>> from hpmob.provenance import git_commit
    >>> git_commit(tempfile.mkdtemp())
    'unknown (not a git checkout)'
    """
    root = Path(root) if root is not None else project_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("-dirty" if dirty else "")


def environment_summary() -> dict:
    """Return interpreter, platform, commit and build date (UTC) as a dict.

    Returns
    -------
    dict
        ``python, implementation, platform, commit, built``.

    Examples
    --------
    >>> from hpmob.provenance import environment_summary
    >>> sorted(environment_summary())
    ['built', 'commit', 'implementation', 'platform', 'python']
    """
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "commit": git_commit(),
        "built": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def reproducibility_markdown(root: str | Path | None = None) -> str:
    """Render the book's reproducibility appendix as MyST Markdown.

    The page lists how to rebuild, the interpreter, commit and build date, the
    SHA-256 of every raw file, and every package version pinned in
    ``requirements.lock``.

    Parameters
    ----------
    root : path-like, optional
        The project root whose raw files and lock file are listed.

    Returns
    -------
    str
        The page's MyST Markdown.

    Examples
    --------
    >>> from hpmob.provenance import reproducibility_markdown
    >>> page = reproducibility_markdown()
    >>> page.splitlines()[0], "## How to rebuild" in page
    ('# Reproducibility', True)
    """
    root = Path(root) if root is not None else project_root()
    env = environment_summary()
    raw = raw_file_checksums(root / "data" / "raw")
    packages = locked_packages(root / "requirements.lock")
    key = {"jupyter-book", "myst-nb", "numpy", "pandas", "pingouin", "scipy", "semopy",
           "factor-analyzer", "papermill", "seaborn", "matplotlib"}
    lines = [
        "# Reproducibility",
        "",
        ":::{admonition} Synthetic data",
        ":class: warning",
        "The raw file listed below is the synthetic export made by `hpmob simulate` "
        "(see `data/raw/README.md`); no number in this book describes real officials.",
        ":::",
        "",
        "This page is generated when the book is built (`hpmob provenance`); nothing on it is typed by hand.",
        "",
        "## How to rebuild",
        "",
        "```bash",
        "make all    # the environment, processed data, executed notebooks,",
        "            # results and this book, from the raw export",
        "make test   # the whole test suite",
        "```",
        "",
        "## Build environment",
        "",
        markdown_table(pd.DataFrame(
            [("Python", f"{env['python']} ({env['implementation']})"), ("Platform", env["platform"]),
             ("Git commit", f"`{env['commit']}`"), ("Built", env["built"])],
            columns=["item", "value"]), caption="The environment this book was built in.", name="tbl-build-env"),
        "",
        "## Raw data files",
        "",
        "SHA-256 of every file in `data/raw/` at build time. The pipeline checks them against "
        "the manifest before it reads anything.",
        "",
        markdown_table(raw.assign(sha256=raw["sha256"].map(lambda s: f"`{s}`")),
                       caption="SHA-256 of every raw data file at build time.", name="tbl-raw-files")
        if len(raw) else "*No raw data files yet.*",
        "",
        "## Key packages",
        "",
        markdown_table(packages[packages["package"].isin(key)], caption="Versions of the key packages.",
                       name="tbl-key-packages"),
        "",
        "## All pinned packages",
        "",
        f"All {len(packages)} packages pinned (with hashes) in `requirements.lock`:",
        "",
        markdown_table(packages, caption="Every package pinned in `requirements.lock`.", name="tbl-all-packages"),
        "",
    ]
    return "\n".join(lines)


def write_reproducibility_page(out: str | Path) -> Path:
    """Write :func:`reproducibility_markdown` to ``out`` and return the path.

    Parameters
    ----------
    out : path-like
        The Markdown file to write.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.provenance import write_reproducibility_page
    >>> path = write_reproducibility_page(Path(tempfile.mkdtemp()) / "reproducibility.md")
    >>> path.read_text(encoding="utf-8").startswith("# Reproducibility")
    True
    """
    return write_page(reproducibility_markdown(), out)
