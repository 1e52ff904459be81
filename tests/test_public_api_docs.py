"""Numpydoc validation of hpmob's public API, and no skipped example in it (issue #20).

The public API is every name in a module's ``__all__`` (every module under ``src/hpmob/``,
recursively) and, in a module without ``__all__``, every function and class whose name does
not start with ``_`` and that the module itself defines (not what it imports). For a public
class its public methods and properties defined in the class body count too. Constants in
``__all__`` (``ESTIMATORS``, ``__version__``) have no docstring of their own and are left out.
A name that a package re-exports (``hpmob.sem.fit``) is checked once, where it is defined.
:mod:`hpmob.study.sentences` exports only its two helpers, yet every function not starting
with ``_`` is checked there too: each is a sentence the notebooks glue, called by name from
:mod:`hpmob.study.steps` and :mod:`hpmob.robustness`.

Each object is run through :func:`numpydoc.validate.validate` and fails on these checks:

* GL08: no docstring;
* SS01, SS03, SS05: a one-line summary, ending with a period, starting with an infinitive
  ("Return", not "Returns": numpydoc's heuristic applies it to functions and methods only);
* PR01, PR02: every parameter documented, none documented that the signature lacks;
* PR07: every documented parameter has a description (a bare ``x : int`` says nothing a
  reader can use beyond the annotation);
* RT01: a Returns section when the function returns a value (numpydoc reads the source
  for a ``return <value>``); RT03: that returned value is described;
* EX01: an Examples section, on every function, class, method and property alike (each
  example runs under ``--doctest-modules``, so a reader can copy any of them).

Left out on purpose: ES01 (extended summary: many small helpers need none), SA01 (See Also),
PR04 (types: the signatures carry annotations, which Sphinx shows), PR08/PR09 and RT04/RT05
(capital letter and final period in descriptions: style, not content), PR03 (order), GL01-GL03
(the layout of the quotes) and SS06 (a summary wrapped onto a second line still reads).

Separately, no public object's docstring (nor a module's, which ``--doctest-modules`` also
runs) may mark an example ``+SKIP``: the examples run on data the environment ships
(semopy's HolzingerSwineford1939 and PoliticalDemocracy, the project's ``data/`` files and
``hpmob.simulate``), so ``pytest src/hpmob --doctest-modules`` checks every one of them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import types

import numpydoc.validate
import pytest

import hpmob

# The numpydoc checks that fail a test (the module docstring says why these and not the others).
CHECKS = ("GL08", "SS01", "SS03", "SS05", "PR01", "PR02", "PR07", "RT01", "RT03", "EX01")
# modules whose functions outside ``__all__`` count as public as well (see the module docstring)
ALL_FUNCTIONS_PUBLIC = {"hpmob.study.sentences"}


def _modules() -> list[types.ModuleType]:
    """Import every module of the hpmob package, recursively, in name order."""
    names = [hpmob.__name__]
    names += [info.name for info in pkgutil.walk_packages(hpmob.__path__, prefix="hpmob.")]
    return [importlib.import_module(name) for name in sorted(names)]


def _is_documentable(obj: object) -> bool:
    """Functions and classes have docstrings of their own; constants and re-exported modules do not."""
    return inspect.isfunction(obj) or inspect.isclass(obj)


def _public_objects(module: types.ModuleType) -> list[tuple[str, object]]:
    """Return (name, object) for the module's public functions and classes."""
    defined_here = [
        (name, obj) for name, obj in vars(module).items()
        if not name.startswith("_") and _is_documentable(obj) and obj.__module__ == module.__name__
    ]
    if not hasattr(module, "__all__"):
        candidates = defined_here
    else:
        candidates = [(name, getattr(module, name)) for name in module.__all__]
        if module.__name__ in ALL_FUNCTIONS_PUBLIC:
            candidates += [(name, obj) for name, obj in defined_here if name not in module.__all__]
    return [(name, obj) for name, obj in candidates if _is_documentable(obj)]


def _members(cls: type) -> list[tuple[str, object]]:
    """Return (name, object) for the public methods and properties the class body defines."""
    members = []
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, staticmethod | classmethod):
            attr = attr.__func__
        if inspect.isfunction(attr) or isinstance(attr, property | functools.cached_property):
            members.append((name, attr))
    return members


def _collect() -> tuple[dict[str, object], dict[str, types.ModuleType]]:
    """Return the public objects and the modules, each by dotted name."""
    objects: dict[str, object] = {}
    modules = {}
    for module in _modules():
        modules[module.__name__] = module
        for _, obj in _public_objects(module):
            qualified = f"{obj.__module__}.{obj.__qualname__}"
            objects.setdefault(qualified, obj)
            if inspect.isclass(obj):
                for member_name, member in _members(obj):
                    objects.setdefault(f"{qualified}.{member_name}", member)
    return objects, modules


PUBLIC, MODULES = _collect()


def test_public_api_is_found():
    """The collection sees the entry points a reader starts from (a guard on the walk itself)."""
    for name in ("hpmob.sem.fit.fit", "hpmob.reliability.cronbach_alpha", "hpmob.study.plan.load_plan"):
        assert name in PUBLIC, name
    assert len(PUBLIC) > 100


def _errors(obj) -> list[str]:
    """The failing checks of one object, as ``CODE: message`` lines."""
    result = numpydoc.validate.validate(numpydoc.validate.get_doc_object(obj))
    return [f"{code}: {message}" for code, message in result["errors"] if code in CHECKS]


def _planted_undocumented(x, y=1):
    return x + y


def _planted_partial(x, y=1):
    """Adds the two numbers.

    Parameters
    ----------
    x : int
    z : int
        Not a parameter.
    """
    return x + y


def test_the_checks_find_planted_defects():
    """Each defect the checks are there for is reported (so a passing run is not vacuous)."""
    assert [e[:4] for e in _errors(_planted_undocumented)] == ["GL08"]
    found = {e[:4] for e in _errors(_planted_partial)}
    assert found == {"SS05", "PR01", "PR02", "PR07", "RT01", "EX01"}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_numpydoc(name):
    """The object passes every check of :data:`CHECKS`."""
    errors = _errors(PUBLIC[name])
    assert not errors, f"{name}:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize("name", sorted(PUBLIC) + [f"module {name}" for name in sorted(MODULES)])
def test_no_skipped_example(name):
    """No example of a public object or a module is skipped by the doctest run."""
    obj = MODULES[name.removeprefix("module ")] if name.startswith("module ") else PUBLIC[name]
    doc = inspect.getdoc(obj) or ""
    assert "+SKIP" not in doc, f"{name} has an example marked +SKIP: make it run on shipped data"
