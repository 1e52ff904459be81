"""hpmob: a reproducible survey-study compendium (codebook, analysis plan, SEM, notebooks, book).

The package holds everything worth testing; the notebooks in ``notebooks/`` call it.
Modules are named for what they do: ``paths`` (where the project's files live),
``study`` (study metadata), ``provenance`` (reproducibility facts),
``notebooks`` (papermill runner) and ``cli`` (the ``hpmob`` command).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hpmob")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
