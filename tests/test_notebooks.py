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


def test_book_copy_hides_code_drops_parameters_stderr_and_local_paths(make_notebook, tmp_path):
    import json

    from hpmob.notebooks import book_notebook

    src = make_notebook([("x = 1", ["parameters"]), ("n_jobs = 1", ["injected-parameters"]),
                         ("print(x)", []), ("model = 'PM ~ AW'", ["listing"]), ("y = 2", [])])
    nb = json.loads(src.read_text())
    nb["cells"][2]["outputs"] = [
        {"output_type": "stream", "name": "stderr", "text": "/site-packages/tqdm/auto.py:21: TqdmWarning: x\n"},
        {"output_type": "stream", "name": "stdout", "text": f"{tmp_path}/results/tables/a.csv\n"},
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": f"<p>{tmp_path}</p>"}}]
    src.write_text(json.dumps(nb))
    out = json.loads(book_notebook(src, tmp_path / "book" / src.name, root=tmp_path).read_text())
    cells = {c["source"] if isinstance(c["source"], str) else "".join(c["source"]): c for c in out["cells"]}
    assert "n_jobs = 1" not in cells  # papermill's injected cell is gone
    assert cells["x = 1"]["metadata"]["tags"] == ["parameters", "hide-input"]
    assert cells["model = 'PM ~ AW'"]["metadata"]["tags"] == ["listing"]
    assert cells["y = 2"]["metadata"]["tags"] == ["remove-cell"]  # nothing to show
    printed = cells["print(x)"]
    assert printed["metadata"]["tags"] == ["remove-input"]
    assert [o.get("name") for o in printed["outputs"]] == ["stdout", None]
    text = json.dumps(printed["outputs"])
    assert str(tmp_path) not in text and "results/tables/a.csv" in text and "Warning" not in text
    # the executed notebook itself is left as papermill wrote it
    assert "TqdmWarning" in src.read_text()


def test_make_lab_registers_the_kernel_the_notebooks_declare(root):
    import json
    import re

    makefile = (root / "Makefile").read_text(encoding="utf-8")
    install = re.search(r'ipykernel install --sys-prefix --name (\S+) --display-name "([^"]+)"', makefile)
    assert install, "make lab must register the notebooks' kernel"
    assert "--allow-root" in makefile  # JupyterLab refuses to start as root without it
    for nb in sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        spec = json.loads(nb.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
        assert (spec["name"], spec["display_name"]) == install.groups(), nb.name
