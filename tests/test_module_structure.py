"""Module size and private-name imports across modules under ``src/hpmob/`` (issue #20).

Two rules, both read from the source with :mod:`ast` (nothing is imported):

* no module is longer than 600 lines unless its module docstring has a sentence starting
  "Longer than 600 lines because", which says why it stays whole;
* no module imports a private name (one starting with ``_``) from another hpmob module:
  ``from .x import _y``, ``from hpmob.x import _y`` and ``from . import _y`` alike, at module
  level or inside a function. A name used across modules is public in the module that
  defines it (an internal module lists in ``__all__`` only what users are meant to import).

Modules outside ``hpmob.sem`` still being split in another branch are named in the
allow-lists below, one per line and sorted, so that the two branches merge line by line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hpmob"
MAX_LINES = 600
REASON = "Longer than 600 lines because"

# split pending, issue #20: modules over 600 lines without a reason in their docstring
LONG_ALLOWED = {
    "hpmob/codebook.py",  # split pending, issue #20
    "hpmob/compare.py",  # split pending, issue #20
    "hpmob/efa.py",  # split pending, issue #20
    "hpmob/io.py",  # split pending, issue #20
    "hpmob/plots.py",  # split pending, issue #20
    "hpmob/reliability.py",  # split pending, issue #20
    "hpmob/score.py",  # split pending, issue #20
    "hpmob/simulate.py",  # split pending, issue #20
    "hpmob/study/plan.py",  # split pending, issue #20
    "hpmob/study/sentences.py",  # split pending, issue #20
    "hpmob/study/steps.py",  # split pending, issue #20
    "hpmob/validity.py",  # split pending, issue #20
}

# split pending, issue #20: modules that still import a private name from another module
PRIVATE_IMPORT_ALLOWED = {
    "hpmob/efa.py",  # split pending, issue #20
    "hpmob/plots.py",  # split pending, issue #20
    "hpmob/validity.py",  # split pending, issue #20
}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(SRC.parent).as_posix()


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    """Return the absolute module an ``from ... import`` reads from ('' when not hpmob's)."""
    if node.level == 0:
        return node.module or ""
    package = _dotted(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports(path: Path) -> list[str]:
    """Return ``module:line name`` for every private name the module imports from another hpmob module.

    Parameters
    ----------
    path : Path
        A module under ``src/hpmob``.

    Returns
    -------
    list of str
        One entry per private name imported (empty when there is none).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _dotted(path)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _resolve(path, node)
        if not (source == "hpmob" or source.startswith("hpmob.")) or source == own:
            continue
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append(f"{_name(path)}:{node.lineno} {alias.name} from {source}")
    return sorted(found, key=lambda entry: int(entry.split(" ")[0].rsplit(":", 1)[1]))


def _too_long(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    if len(text.splitlines()) <= MAX_LINES:
        return False
    doc = ast.get_docstring(ast.parse(text)) or ""
    return REASON not in " ".join(doc.split())


def test_allow_lists_name_existing_modules():
    missing = [name for name in LONG_ALLOWED | PRIVATE_IMPORT_ALLOWED if not (SRC.parent / name).is_file()]
    assert missing == []


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_module_length(path):
    if _name(path) in LONG_ALLOWED:
        pytest.skip("split pending, issue #20")
    assert not _too_long(path), (
        f"{_name(path)} has more than {MAX_LINES} lines and its docstring does not say why "
        f"(a sentence starting {REASON!r})"
    )


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_private_name_imported_across_modules(path):
    if _name(path) in PRIVATE_IMPORT_ALLOWED:
        pytest.skip("split pending, issue #20")
    assert private_imports(path) == []


def test_the_checks_find_planted_defects(tmp_path):
    """Guard the guards: a long module without a reason and a private import are both caught."""
    pkg = tmp_path / "hpmob" / "sub"
    pkg.mkdir(parents=True)
    long_module = pkg / "long.py"
    long_module.write_text('"""Short."""\n' + "x = 1\n" * MAX_LINES)
    assert _too_long(long_module)
    long_module.write_text(f'"""Short.\n\n{REASON} it is one job.\n"""\n' + "x = 1\n" * MAX_LINES)
    assert not _too_long(long_module)
    importer = pkg / "user.py"
    importer.write_text(
        "from .long import x\nfrom .long import _y\n"
        "def f():\n    from hpmob.other import _z\n    from .. import _w\n    from . import long\n"
    )
    global SRC
    saved, SRC = SRC, tmp_path / "hpmob"
    try:
        found = private_imports(importer)
    finally:
        SRC = saved
    assert [entry.split(" ", 1)[1] for entry in found] == [
        "_y from hpmob.sub.long", "_z from hpmob.other", "_w from hpmob",
    ]
