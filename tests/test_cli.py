import subprocess
import sys

from hpmob import __version__
from hpmob.cli import main


def test_version_and_help_from_the_console_script():
    exe = [sys.executable, "-m", "hpmob.cli"]
    out = subprocess.run([*exe, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"hpmob {__version__}"
    helptext = subprocess.run([*exe, "--help"], capture_output=True, text=True, check=True).stdout
    assert "run-notebook" in helptext and "provenance" in helptext


def test_failing_notebook_exits_nonzero_without_traceback(make_notebook, tmp_path, capsys):
    nb = make_notebook([("x = 1", ["parameters"]), ("1/0", [])])
    assert main(["run-notebook", str(nb), str(tmp_path / "o.ipynb")]) == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err and "cell 1" in err and "Traceback" not in err
