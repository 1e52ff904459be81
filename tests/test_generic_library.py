"""The generic library knows no study: no construct, item or level name of this study in its code.

Study facts live in data/ (codebook, plan, population model) and in the study layer
(hpmob.study). The check reads the code of every other module of src/hpmob with docstrings
and comments removed (the string literals of the code only: a variable named ``SE`` for standard errors is no
study fact), so a hard-coded "PM", "PM3~1" or "commune" anywhere in the generic code fails it.
"""

import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

STUDY_WORDS = re.compile(r"\b(AW|RT|PM|IM|DT|SE|CO|SOL)(\d+)?\b|\b(city|district|commune)\b")
#: The study layer (plan loader, steps, sentences) may name the study's facts.
STUDY_LAYER = ("study/",)
#: Not yet generic, named so the exemption is visible (none left).
NOT_YET_GENERIC: tuple[str, ...] = ()


def _code_without_docstrings(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    doc_lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                doc_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    kept = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING or tok.start[0] in doc_lines:
            continue
        kept.append(tok.string)
    return " ".join(kept)


def _generic_modules(root: Path):
    src = root / "src" / "hpmob"
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if not rel.startswith(STUDY_LAYER) and rel not in NOT_YET_GENERIC:
            yield rel, path


def test_no_study_fact_in_the_code_of_the_generic_library(root):
    found = []
    for rel, path in _generic_modules(root):
        for m in STUDY_WORDS.finditer(_code_without_docstrings(path)):
            found.append(f"{rel}: {m.group(0)}")
    assert not found, "study facts in generic code:\n" + "\n".join(sorted(set(found)))


def test_the_check_finds_a_planted_study_fact(tmp_path):
    planted = tmp_path / "m.py"
    planted.write_text('"""Docstring may say PM3."""\n# a comment may say commune\nSE = 1\nx = {"PM3~1": SE}\n')
    assert STUDY_WORDS.findall(_code_without_docstrings(planted)) == [("PM", "3", "")]


def test_import_contracts_hold(root):
    """import-linter's contracts of pyproject.toml ([tool.importlinter])."""
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail("lint-imports is not installed in this environment (import-linter is in requirements.lock)")
    result = subprocess.run([str(exe), str(root / "pyproject.toml")], cwd=root, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
