from pathlib import Path

import pytest

from hpmob.paths import ROOT_ENV, data_dir, project_root, results_dir


def test_project_root_found_from_a_subfolder(root):
    assert project_root(root / "notebooks") == root
    assert (root / "pyproject.toml").is_file()


def test_project_root_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    assert project_root() == tmp_path.resolve()


def test_project_root_error_names_the_start(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        project_root(tmp_path)


def test_data_and_results_dirs(root):
    assert data_dir("raw") == root / "data" / "raw"
    assert results_dir("figures") == root / "results" / "figures"
    with pytest.raises(ValueError, match="raw"):
        data_dir("cooked")
