"""Notebooks of a plan run side by side where they do not read each other (hpmob run, variants)."""

import io
import json

import pytest

from hpmob.notebooks import NotebookError, run_plan
from hpmob.variants import plan_needs

STAMP = """import json, time
start = time.time()
time.sleep({sleep})
{body}
json.dump({{"start": start, "end": time.time()}}, open(r"{stamp}", "w"))
"""


def _plan(make_notebook, tmp_path, bodies, sleep=1.0):
    plan = []
    for name, body in bodies.items():
        stamp = tmp_path / f"{name}.json"
        nb = make_notebook([("x = 1", ["parameters"]), (STAMP.format(sleep=sleep, body=body, stamp=stamp), [])],
                           name=f"{name}.ipynb")
        plan.append((nb, tmp_path / "out" / f"{name}.ipynb", {}))
    return plan


def _times(tmp_path, name):
    return json.loads((tmp_path / f"{name}.json").read_text())


def test_independent_notebooks_overlap_and_the_last_waits_for_them(make_notebook, tmp_path):
    bodies = {"01-clean": "", "02-a": "", "03-b": "",
              "06-end": f"import os\nassert os.path.exists(r'{tmp_path}/02-a.json') and os.path.exists(r'{tmp_path}/03-b.json')"}
    plan = _plan(make_notebook, tmp_path, bodies)
    log = io.StringIO()
    executed = run_plan(plan, jobs=2, needs=plan_needs(plan), stream=log)
    assert executed == [out for _, out, _ in plan]
    first, a, b, last = (_times(tmp_path, n) for n in bodies)
    assert first["end"] <= min(a["start"], b["start"])          # 02 and 03 read what 01 wrote
    assert a["start"] < b["end"] and b["start"] < a["end"]      # 02 and 03 ran at the same time
    assert last["start"] >= max(a["end"], b["end"])             # 06 reads both
    lines = log.getvalue().splitlines()
    assert sorted(line.split(" … ")[0] for line in lines) == [f"[{k}/4] {n}.ipynb" for k, n in enumerate(bodies, 1)]
    assert all(line.endswith(" s") for line in lines)


def test_a_failing_notebook_stops_the_plan_after_the_running_ones_end(make_notebook, tmp_path):
    bodies = {"01-clean": "", "02-a": "raise ValueError('bad cell')", "03-b": "", "06-end": ""}
    plan = _plan(make_notebook, tmp_path, bodies, sleep=0.5)
    log = io.StringIO()
    with pytest.raises(NotebookError, match="02-a.ipynb failed in cell 1.*ValueError: bad cell"):
        run_plan(plan, jobs=2, needs=plan_needs(plan), stream=log)
    assert (tmp_path / "03-b.json").exists()                    # the notebook running beside it finished
    assert not (tmp_path / "06-end.json").exists()              # nothing after the failure started
    assert "[2/4] 02-a.ipynb … failed" in log.getvalue()
