"""Shared fixtures: the project root and a tiny notebook factory."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from hpmob.paths import project_root

ROOT = project_root(Path(__file__).parent)


@pytest.fixture(scope="session")
def root() -> Path:
    """The compendium's root folder."""
    return ROOT


@pytest.fixture
def make_notebook(tmp_path):
    """Write a small notebook from (source, tags) pairs and return its path."""

    def _make(cells, name="10-test.ipynb"):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        for source, tags in cells:
            nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)}))
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    return _make


def _offline(cmd):
    # Build without network when the machine allows a private network namespace
    # (CI runs as root); loopback stays up because Jupyter kernels talk over it.
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n", "bash", "-c", "ip link set lo up 2>/dev/null; exec \"$@\"", "_", *cmd]
    return cmd


def make_env():
    """The environment for a child make: without the parent make's jobserver.

    Under `make test` the environment carries the parent make's jobserver, whose pipes a
    subprocess does not inherit; the child make would then fall back to one job.
    """
    return {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}


@pytest.fixture(scope="session")
def built_book(root):
    """The real book, built once per test session offline by `make all` (so its raw-readonly stamp too); the book and browser tests share it."""
    result = subprocess.run(_offline(["make", "-C", str(root), "all"]), capture_output=True, text=True,
                            env=make_env())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "book" / "_build" / "html"
