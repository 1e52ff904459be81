"""Synthetic survey export from a documented, seeded population model.

The study's microdata are not public, so the compendium ships an export generated
here from ``data/population_model.yaml``. The generator has two stages:

1. :func:`simulate_sample` draws respondents from the population model: attributes,
   latent scores, continuous item responses ``y*`` and the 1–5 answers they imply.
   Because the true parameters are known, tests check that the analysis recovers them.
2. :func:`make_raw_export` turns a clean sample into what a survey platform hands
   over: Vietnamese text labels with case, spacing, Unicode (NFD) and spelling
   variants, "no answer" codes, blank cells, straight-liners, speeders, duplicate
   submissions, impossible values and personal-data columns.

:func:`simulate_export` runs both and writes a CSV; same seed, same bytes.

The two stages live in :mod:`hpmob.population_sample` and :mod:`hpmob.messy_export`;
every public name is re-exported here, where callers import them from.

Examples
--------
>>> from hpmob.simulate import simulate_sample
>>> sample = simulate_sample(n=200, seed=1)
>>> sample.answers.shape[0]
200
"""

from __future__ import annotations

from hpmob.messy_export import make_raw_export, simulate_export, write_export
from hpmob.population_sample import (
    SimulatedSample,
    implied_item_covariance,
    implied_ystar_moments,
    latent_mean_z,
    load_population_model,
    simulate_sample,
)

__all__ = [
    "SimulatedSample",
    "implied_item_covariance",
    "implied_ystar_moments",
    "latent_mean_z",
    "load_population_model",
    "make_raw_export",
    "simulate_export",
    "simulate_sample",
    "write_export",
]
