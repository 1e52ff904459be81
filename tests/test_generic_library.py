"""The generic library knows no study: no construct, item or level name of this study in its text.

Study facts live in data/ (codebook, plan, population model) and in the study layer
(hpmob.study). The check is literal, like ``grep -rnwE``: the whole text of every other
module of src/hpmob (code, docstrings, comments) is matched against the study's construct
codes, item codes and level names, so a hard-coded "PM", "PM3~1" or "commune" in code, an
example or a comment fails it. Docstring examples use the bundled second instrument
(examples/wellbeing) or neutral codes instead. Construct and item codes are matched
case-sensitively (``se`` and ``pm`` are variable names for a standard error and a parsed
model), level names in any case.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

STUDY_CODES = re.compile(r"\b(?:AW|RT|PM|IM|DT|SE|CO|SOL)\d*\b")
LEVEL_NAMES = re.compile(r"\b(?:city|district|commune)\b", re.IGNORECASE)
#: The study layer (plan loader, steps, sentences) may name the study's facts.
STUDY_LAYER = ("study/",)
#: Not yet generic, named so the exemption is visible (none left).
NOT_YET_GENERIC: tuple[str, ...] = ()


def study_facts(text: str) -> list[tuple[int, str]]:
    """(line number, word) of every study code or level name in `text`, in order."""
    found = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        hits = [*STUDY_CODES.finditer(line), *LEVEL_NAMES.finditer(line)]
        found += [(lineno, m.group(0)) for m in sorted(hits, key=lambda m: m.start())]
    return found


def _generic_modules(root: Path):
    src = root / "src" / "hpmob"
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if not rel.startswith(STUDY_LAYER) and rel not in NOT_YET_GENERIC:
            yield rel, path


def test_the_generic_library_names_no_study_fact(root):
    modules = list(_generic_modules(root))
    # Guard against a path change that would make the check vacuous.
    assert len(modules) > 30 and any(rel.startswith("sem/") for rel, _ in modules)
    found = [f"src/hpmob/{rel}:{lineno}: {word}"
             for rel, path in modules for lineno, word in study_facts(path.read_text(encoding="utf-8"))]
    assert not found, "study facts in the generic library (reword, or use examples/wellbeing):\n" + "\n".join(found)


def test_the_check_finds_a_planted_study_fact_anywhere():
    planted = ('"""Docstring example:\n\n>>> items_of("PM")\n[\'PM1\', \'PM2\']\n"""\n'
               "# a comment may not say Commune either\n"
               'partial = {"RT3~1": 0.2}\n')
    assert study_facts(planted) == [(3, "PM"), (4, "PM1"), (4, "PM2"), (6, "Commune"), (7, "RT3")]


def test_the_check_leaves_neutral_text_alone():
    neutral = ('"""Standard errors (SEs) of the x1..x9 items; codes A1, g1, SP1, AWARE, PMx."""\n'
               "se = pm.ov\nim = ax.imshow(z)\ncities = _DISTRICTS\n")
    assert study_facts(neutral) == []


def test_import_contracts_hold(root):
    """import-linter's contracts of pyproject.toml ([tool.importlinter])."""
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail("lint-imports is not installed in this environment (import-linter is in requirements.lock)")
    result = subprocess.run([str(exe), str(root / "pyproject.toml")], cwd=root, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------- study decisions are passed in, not defaulted
#: Hypothesis labels of this study's kind (H1, H6, H4_DT; not a matrix block H21): a generic module names none.
HYPOTHESIS_LABELS = re.compile(r"\bH[1-9](?:_[A-Z]+)?\b")
#: Defaults that equal a plan value by coincidence and are a statistical convention, not the
#: study's decision: (module, parameter). Power .80 is Cohen's (1988) conventional target.
CONVENTIONS = {("result_figures.py", "target"), ("power.py", "target")}


def _plan_values(root) -> set:
    """What the plan decides: the share threshold, the grouping variable and its groups, the
    breakdown attributes and the hypothesis ids and labels (words only, not a placeholder dash)."""
    plan = yaml.safe_load((root / "data" / "analysis_plan.yaml").read_text(encoding="utf-8"))
    words = {plan["grouping"]["variable"], *plan["grouping"]["order"], *plan["sample"]["composition"]}
    for h in plan["hypotheses"]:
        words |= {h["id"], h.get("label", h["id"])}
    return {float(plan["estimation"]["agree_threshold"])} | {w for w in words if re.search(r"\w", str(w))}


def _flat(value):
    if isinstance(value, (tuple, list, set, frozenset)):
        for v in value:
            yield from _flat(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flat(v)
    else:
        yield value


def study_defaults(text: str, values: set, module: str = "") -> list[tuple[int, str, object]]:
    """(line, parameter, value) of every default (of a function argument or a class field, also
    through a module constant) that is, or holds, one of `values`."""
    tree = ast.parse(text)
    consts = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    consts[target.id] = value

    def literal(node):
        if isinstance(node, ast.Name):
            return consts.get(node.id)
        try:
            return ast.literal_eval(node)
        except ValueError:
            return None

    found = []
    for node in ast.walk(tree):
        pairs = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            positional = a.posonlyargs + a.args
            pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
            pairs += [(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            pairs = [(arg.arg, d) for arg, d in pairs]
        elif isinstance(node, ast.ClassDef):
            pairs = [(s.target.id, s.value) for s in node.body
                     if isinstance(s, ast.AnnAssign) and s.value is not None and isinstance(s.target, ast.Name)]
        for name, default in pairs:
            if (module, name) in CONVENTIONS:
                continue
            hits = [v for v in _flat(literal(default))
                    if isinstance(v, (str, float)) and not isinstance(v, bool) and v in values]
            found += [(default.lineno, name, v) for v in hits]
    return found


def test_no_generic_default_is_a_decision_of_the_plan(root):
    values = _plan_values(root)
    assert {0.8, "level", "H7"} <= values  # what the check looks for, so it cannot pass vacuously
    found = [f"src/hpmob/{rel}:{line}: {name}={value!r}" for rel, path in _generic_modules(root)
             for line, name, value in study_defaults(path.read_text(encoding="utf-8"), values, rel)]
    assert not found, ("defaults in the generic library that are the plan's decisions (make the caller pass "
                       "them: the study layer reads the plan):\n" + "\n".join(found))


def test_the_default_check_finds_a_planted_decision():
    planted = ('BY = ("level", "area")\n'
               "def share(x, *, threshold=0.80, conf=0.95): ...\n"
               "def table(x, by=BY, order=None): ...\n"
               "class Rules:\n    merge: tuple = ('position',)\n"
               "def figure(t, *, hypotheses=('H7', 'H6')): ...\n")
    found = study_defaults(planted, {0.8, "level", "area", "position", "H7", "H6"})
    assert found == [(2, "threshold", 0.8), (3, "by", "level"), (3, "by", "area"), (5, "merge", "position"),
                     (6, "hypotheses", "H7"), (6, "hypotheses", "H6")]
    assert study_defaults("def f(x, conf=0.95, lang='en'): ...\n", {0.8, "level"}) == []


def test_the_generic_library_names_no_hypothesis_label(root):
    plan = yaml.safe_load((root / "data" / "analysis_plan.yaml").read_text(encoding="utf-8"))
    # the pattern covers this plan's labels (guard against a rename that makes it vacuous)
    assert [h["id"] for h in plan["hypotheses"] if HYPOTHESIS_LABELS.fullmatch(h["id"])][:3] == ["H7", "H6_AW", "H6"]
    found = [f"src/hpmob/{rel}:{lineno}: {m.group(0)}" for rel, path in _generic_modules(root)
             for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             for m in HYPOTHESIS_LABELS.finditer(line)]
    assert not found, "hypothesis labels in the generic library (the plan names them):\n" + "\n".join(found)
    assert [m.group(0) for m in HYPOTHESIS_LABELS.finditer("judge H3 by H4_DT; RMSEA_CLOSE_H0, H21, H0")] == \
        ["H3", "H4_DT"]
