"""How `make test` shares the two cores (pytest-xdist, ``-n 2 --dist loadgroup``).

Every test is put in a group that one worker runs as a whole, in collection order:

* a test module (or a doctest module) is one group, so its module-scoped fixtures (a full
  ``hpmob run`` in several modules) are built once;
* all notebooks are one group: nbval runs them as an analyst would, one after the other,
  and each reads what the one before it wrote (01 cleans the data 02-07 read).

The book, which two modules need, is built once for both workers (tests/conftest.py).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group = "notebooks" if path.endswith(".ipynb") else path
        item.add_marker(pytest.mark.xdist_group(group))
