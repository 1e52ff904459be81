"""The notebook runner and the committed notebooks' hygiene."""

import json

import pytest

from hpmob.notebooks import NotebookError, notebook_parameters, run_notebook, study_notebooks


def test_committed_notebooks_carry_no_outputs(root):
    notebooks = study_notebooks(root / "notebooks")
    assert notebooks, "no study notebooks found"
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                assert not cell["outputs"], f"{path.name} cell {i} has outputs: strip them"
                assert cell["execution_count"] is None, f"{path.name} cell {i} has an execution count"


def test_every_notebook_has_a_parameters_cell_and_a_synthetic_data_line(root):
    for path in study_notebooks(root / "notebooks"):
        assert isinstance(notebook_parameters(path), dict)
        text = path.read_text(encoding="utf-8")
        assert "Synthetic data" in text, f"{path.name} does not say its data are synthetic"


def test_parameters_are_injected(make_notebook, tmp_path):
    out_file = tmp_path / "seen.txt"
    nb = make_notebook([
        ("seed = 1\nlabel = 'a'", ["parameters"]),
        (f"open({str(out_file)!r}, 'w').write(f'{{seed}}-{{label}}')", []),
    ])
    run_notebook(nb, tmp_path / "out" / "run.ipynb", {"seed": 42})
    assert out_file.read_text() == "42-a"
    executed = json.loads((tmp_path / "out" / "run.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])


def test_failure_names_notebook_cell_and_error(make_notebook, tmp_path):
    nb = make_notebook([("x = 1", ["parameters"]), ("y = 2", []), ("raise ValueError('bad value 17')", [])])
    with pytest.raises(NotebookError) as err:
        run_notebook(nb, tmp_path / "run.ipynb")
    message = str(err.value)
    assert "10-test.ipynb" in message and "cell 2" in message
    assert "ValueError: bad value 17" in message
    assert (tmp_path / "run.failed.ipynb").exists() and not (tmp_path / "run.ipynb").exists()


def test_unknown_parameter_and_in_place_run_are_refused(make_notebook):
    nb = make_notebook([("seed = 1", ["parameters"])])
    with pytest.raises(NotebookError, match="unknown parameter.*sed"):
        run_notebook(nb, nb.with_name("x.ipynb"), {"sed": 2})
    with pytest.raises(NotebookError, match="in place"):
        run_notebook(nb, nb)


def test_notebook_without_parameters_cell_is_refused(make_notebook):
    nb = make_notebook([("x = 1", [])])
    with pytest.raises(NotebookError, match="no code cell tagged 'parameters'"):
        notebook_parameters(nb)
