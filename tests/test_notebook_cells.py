"""Notebooks 01-06 are call -> display -> explain: short code cells that compute no verdict or sentence.

Verdicts, rules and result sentences live in the study layer (hpmob.study.steps, .verdicts,
.sentences); a notebook cell that compares numbers, formats a sentence or glues its own
values would be a second place where the study's logic lives.
"""

import ast
import json
import re

import pytest

STUDY_NOTEBOOKS = ["01-cleaning", "02-descriptives", "03-measurement", "04-invariance", "05-structural",
                   "06-findings"]
MAX_LINES = 15
VERDICT_WORDS = re.compile(r"""["'][^"']*\b(supported|not supported|holds?|does not hold|invariant|meets|"""
                           r"""excludes|includes|lower|higher|verdict)\b[^"']*["']""", re.IGNORECASE)


def _code_cells(root, name):
    nb = json.loads((root / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and "parameters" not in cell["metadata"].get("tags", []):
            yield i, "".join(cell["source"])


@pytest.mark.parametrize("name", STUDY_NOTEBOOKS)
def test_code_cells_are_short(root, name):
    for i, src in _code_cells(root, name):
        lines = [line for line in src.splitlines() if line.strip()]
        assert len(lines) <= MAX_LINES, f"{name} cell {i}: {len(lines)} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("name", STUDY_NOTEBOOKS)
def test_no_cell_computes_a_verdict_or_builds_a_sentence(root, name):
    for i, src in _code_cells(root, name):
        where = f"{name} cell {i}"
        tree = ast.parse(src)
        for node in ast.walk(tree):
            # comparisons of results are rules: they belong in the study layer
            assert not isinstance(node, ast.Compare) or _is_existence_check(node), f"{where}: compares values"
            # f-strings and %-/format-built strings are sentences in the making
            assert not isinstance(node, ast.JoinedStr), f"{where}: builds a string with an f-string"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "glue", f"{where}: glues a value itself (use StepResult.publish)"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr != "judge", f"{where}: judges a hypothesis itself"
                # "...".format(...) builds a sentence; Styler.format (display precision) does not
                assert not (node.func.attr == "format" and isinstance(node.func.value, ast.Constant)), \
                    f"{where}: formats a string"
        assert not VERDICT_WORDS.search(src), f"{where}: a verdict word in a string literal"


def _is_existence_check(node: ast.Compare) -> bool:
    # `k.startswith(...)`-style filters are calls, not Compare; the only comparison allowed is
    # "is this column/attribute the grouping variable" inside a display selection
    return all(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops) and any(
        isinstance(side, ast.Attribute) and side.attr == "attribute" for side in [node.left, *node.comparators])


def test_markdown_states_no_result_in_typed_prose(root):
    """Result prose is glued sentences; typed words that state a verdict are not allowed in 01-06."""
    typed = re.compile(r"\b(is supported|are supported|holds:|does not hold|raises|lowers|retains \d)\b")
    for name in STUDY_NOTEBOOKS:
        nb = json.loads((root / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "markdown":
                text = re.sub(r"\{glue:text\}`[^`]*`", "", "".join(cell["source"]))
                assert not typed.search(text), f"{name} cell {i}: {typed.search(text).group(0)!r} typed in prose"


def test_every_glued_table_is_placed_once_as_a_numbered_table(root):
    """Each glue_table key has exactly one {numtable} with a label, and each {numtable} a glue_table in its notebook."""
    for path in sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        glued = re.findall(r"""glue_table\(\s*["'](\w+)["']""", code)
        placed = re.findall(r"```\{numtable\} (\w+)\n:name: (tbl-[\w-]+)\n\n\S", text)
        assert sorted(set(glued)) == sorted(k for k, _ in placed), path.name
        assert len({k for k, _ in placed}) == len(placed), f"{path.name}: a table placed twice"
        for key, _ in placed:  # and the text cites it
            assert f"{{numref}}`{key.replace('_', '-')}`" in text, (path.name, key)
