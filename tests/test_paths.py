
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


def test_outputs_go_to_scratch_unless_a_build_names_the_root(root, tmp_path, monkeypatch):
    from hpmob.paths import OUTPUT_ENV, input_path, output_dir, output_root

    monkeypatch.setenv(OUTPUT_ENV, "recorded, so monkeypatch restores the caller's value")
    monkeypatch.delenv(OUTPUT_ENV)
    assert output_root() == root / "build" / "scratch"
    monkeypatch.setenv(OUTPUT_ENV, str(tmp_path))
    assert output_dir("results/tables") == tmp_path / "results" / "tables"
    assert (tmp_path / "results" / "tables").is_dir()
    # reading: what this output root wrote first, else what the build made
    assert input_path("pyproject.toml") == root / "pyproject.toml"
    (tmp_path / "pyproject.toml").write_text("x")
    assert input_path("pyproject.toml") == tmp_path / "pyproject.toml"
    assert input_path(tmp_path / "a") == tmp_path / "a"


def test_papermill_runs_write_to_the_project(root, monkeypatch):
    import hpmob.notebooks as nbmod
    from hpmob.paths import OUTPUT_ENV

    monkeypatch.setenv(OUTPUT_ENV, "recorded, so monkeypatch restores the caller's value")
    monkeypatch.delenv(OUTPUT_ENV)
    # run_notebook sets the output root before it starts papermill; stop it right there
    class Stop(Exception):
        pass

    def boom(*a, **k):
        import os
        assert os.environ[OUTPUT_ENV] == str(root)
        raise Stop

    import papermill
    monkeypatch.setattr(papermill, "execute_notebook", boom)
    with pytest.raises(Stop):
        nbmod.run_notebook(root / "notebooks" / "00-overview.ipynb", root / "build" / "scratch" / "x.ipynb")


def test_a_new_scratch_folder_starts_with_what_the_build_made(root, tmp_path, monkeypatch):
    from hpmob.paths import OUTPUT_ENV, output_dir

    monkeypatch.setenv(OUTPUT_ENV, str(tmp_path))
    built = sorted(p.name for p in (root / "tests").iterdir() if p.is_file())
    scratch = output_dir("tests")
    assert sorted(p.name for p in scratch.iterdir()) == built
    (scratch / "conftest.py").write_text("changed")
    assert output_dir("tests") == scratch and (scratch / "conftest.py").read_text() == "changed"  # seeded once
    assert "changed" not in (root / "tests" / "conftest.py").read_text()
