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

import re
import subprocess
import sys
from pathlib import Path

import pytest

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
