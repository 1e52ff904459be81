"""Shared fixtures: the project root and a tiny notebook factory."""

from __future__ import annotations

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
