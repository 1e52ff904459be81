"""The first stage of the simulation: respondents drawn from the documented population model.

:func:`load_population_model` reads ``data/population_model.yaml``; :func:`simulate_sample`
draws attributes, latent scores, continuous item responses ``y*`` and the answers they
imply (a :class:`SimulatedSample`); :func:`latent_mean_z`, :func:`implied_ystar_moments` and
:func:`implied_item_covariance` give the true values the tests check the analysis against.
:mod:`hpmob.simulate` re-exports every public name, which is where to import them from;
:func:`model_levels` (outside ``__all__``) is shared with :mod:`hpmob.messy_export`.

Examples
--------
>>> from hpmob.population_sample import simulate_sample
>>> simulate_sample(n=100, seed=1).answers.shape[0]
100
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from hpmob.codebook import Codebook, load_codebook
from hpmob.paths import project_root

__all__ = [
    "SimulatedSample",
    "implied_item_covariance",
    "implied_ystar_moments",
    "latent_mean_z",
    "load_population_model",
    "simulate_sample",
]


def load_population_model(path: str | Path | None = None) -> dict:
    """Load the population model (``data/population_model.yaml``).

    Parameters
    ----------
    path : path-like, optional
        The YAML file; default ``data/population_model.yaml`` of the project.

    Returns
    -------
    dict
        The model's sections (levels with their shares, items, latent structure, thresholds,
        defects).

    Raises
    ------
    ValueError
        If a section is missing or level shares do not sum to 1, naming the file.

    Examples
    --------
    >>> from hpmob.simulate import load_population_model
    >>> model = load_population_model()
    >>> round(sum(lev["share"] for lev in model["levels"].values()), 9)
    1.0
    """
    path = Path(path) if path is not None else project_root() / "data" / "population_model.yaml"
    with open(path, encoding="utf-8") as fh:
        model = yaml.safe_load(fh)
    need = ("thresholds", "levels", "attributes", "latent", "items", "solutions", "defects")
    missing = [k for k in need if k not in (model or {})]
    if missing:
        raise ValueError(f"{path}: population model lacks {', '.join(missing)}")
    shares = sum(spec["share"] for spec in model["levels"].values())
    if abs(shares - 1) > 1e-9:
        raise ValueError(f"{path}: level shares sum to {shares}, not 1")
    return model


@dataclass(frozen=True)
class SimulatedSample:
    """A clean draw from the population model.

    Parameters
    ----------
    attributes : DataFrame
        Respondent attributes as codes (``level``, ``area``, ..., ``training_courses``).
    latent : DataFrame
        True latent scores, one column per construct of the population model (the
        codebook's reflective constructs first, in codebook order).
    ystar : DataFrame
        Continuous item responses before categorization, oriented as scored
        (reverse-keyed items already flipped back).
    answers : DataFrame
        Answers 1–5 as the respondent ticked them (reverse-keyed items reversed).

    Examples
    --------
    >>> from hpmob.simulate import simulate_sample
    >>> s = simulate_sample(50, seed=1)
    >>> len(s.attributes), len(s.answers), s.answers.shape[1] == s.ystar.shape[1]
    (50, 50, True)
    """

    attributes: pd.DataFrame
    latent: pd.DataFrame
    ystar: pd.DataFrame
    answers: pd.DataFrame


def _draw_categorical(rng: np.random.Generator, probs: dict, size: int) -> np.ndarray:
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=p / p.sum())]


def model_levels(model: dict) -> tuple:
    """Return the population model's levels (sampling strata), in file order."""
    return tuple(model["levels"])


def _by_level(rng, levels: np.ndarray, table: dict) -> np.ndarray:
    out = np.empty(len(levels), dtype=object)
    for lev in table:  # the model's level order
        mask = levels == lev
        out[mask] = _draw_categorical(rng, table[lev], int(mask.sum()))
    return out


def _categorize(ystar: np.ndarray, thresholds) -> np.ndarray:
    return np.searchsorted(np.asarray(thresholds), ystar) + 1


def simulate_sample(
    n: int,
    seed: int,
    *,
    model: dict | None = None,
    codebook: Codebook | None = None,
) -> SimulatedSample:
    """Draw ``n`` respondents from the population model.

    Parameters
    ----------
    n : int
        Number of respondents.
    seed : int
        Seed of the random generator (numpy PCG64); same seed, same sample.
    model : dict, optional
        Population model; defaults to :func:`load_population_model`.
    codebook : Codebook, optional
        Instrument; reverse-keying follows its flags. Defaults to the shipped codebook.

    Returns
    -------
    SimulatedSample
        Attributes, true latent scores, continuous responses and ticked answers.

    Examples
    --------
    >>> from hpmob.simulate import simulate_sample
    >>> a, b = simulate_sample(40, seed=7), simulate_sample(40, seed=7)
    >>> a.answers.equals(b.answers), int(a.answers.min().min()) >= 1
    (True, True)
    """
    if n < 1:
        raise ValueError(f"n must be a positive number of respondents, not {n}")
    model = model or load_population_model()
    cb = codebook or load_codebook()
    rng = np.random.default_rng(seed)

    # --- attributes
    level = _draw_categorical(rng, {k: v["share"] for k, v in model["levels"].items()}, n)
    area = _by_level(rng, level, {k: v["area"] for k, v in model["levels"].items()})
    attr = model["attributes"]
    position = _by_level(rng, level, attr["position"])
    gender = _draw_categorical(rng, attr["gender"], n)
    a = attr["age"]
    age = np.clip(np.rint(rng.normal(a["mean"], a["sd"], n)), a["min"], a["max"]).astype(int)
    career = np.maximum(age - 22, 0) * attr["years_in_post"]["max_fraction_of_career"]
    years = np.floor(rng.uniform(0, 1, n) * (career + 1)).astype(int)
    education = _by_level(rng, level, attr["education"])
    theory = _by_level(rng, level, attr["theory_level"])
    tc = attr["training_courses"]
    training = np.minimum(rng.poisson([tc[lev] for lev in level]), tc["cap"]).astype(int)
    attributes = pd.DataFrame({
        "level": level, "area": area, "position": position, "gender": gender, "age": age,
        "years_in_post": years, "education": education, "theory_level": theory,
        "training_courses": training,
    })

    # --- latent variables (means, endogenous intercepts and item shifts by the model's
    # `group` attribute: the level unless the model names another one)
    lat = model["latent"]
    exo = lat["exogenous"]
    grouping = attributes[lat.get("group", "level")].to_numpy()
    corr = np.array([[lat["correlations"][r][c] for c in exo] for r in exo], dtype=float)
    means = np.array([[lat["means"][v][lev] for v in exo] for lev in grouping], dtype=float)
    eta = {v: col for v, col in zip(exo, (means + rng.multivariate_normal(np.zeros(len(exo)), corr, n)).T)}
    eta["train_z"] = (training - tc["z_mean"]) / tc["z_sd"]
    for endo, spec in lat["structural"].items():  # in file order: a predictor comes before its outcome
        value = np.array([spec["intercept"][lev] for lev in grouping], dtype=float)
        for pred, coef in spec["paths"].items():
            value = value + coef * eta[pred]
        eta[endo] = value + rng.normal(0, np.sqrt(spec["residual_variance"]), n)
    names = [*exo, *lat["structural"]]
    order = [c for c in cb.reflective_constructs if c in names] + [c for c in names if c not in cb.reflective_constructs]
    latent = pd.DataFrame({v: eta[v] for v in order})

    # --- items
    items = cb.items.set_index("code")
    ystar, answers = {}, {}
    shifts = model.get("intercept_shifts", {})
    for code in cb.item_columns:
        if code in model["items"]:
            p = model["items"][code]
            shift = np.array([shifts.get(code, {}).get(lev, 0.0) for lev in grouping])
            y = (p["intercept"] + shift + p["loading"] * latent[items.loc[code, "construct"]].to_numpy()
                 + rng.normal(0, np.sqrt(p["residual_variance"]), n))
        elif code in model["solutions"]:
            s = model["solutions"][code]
            y = rng.normal(s["mean"], s["sd"], n)
        else:
            raise ValueError(f"population model has no parameters for codebook item {code}")
        ystar[code] = y
        scored = _categorize(y, model["thresholds"])
        lo, hi = cb.scale_range(code)
        # The respondent ticks the box of the item as worded: reverse-keyed items reversed.
        answers[code] = (lo + hi - scored) if items.loc[code, "reverse"] else scored
    return SimulatedSample(attributes, latent, pd.DataFrame(ystar), pd.DataFrame(answers).astype("int64"))


def latent_mean_z(sample: SimulatedSample, model: dict | None = None, *, n_population: int = 200_000,
                  seed: int = 1) -> pd.DataFrame:
    """Measure how far a sample's latent level means lie from the population's, in standard errors.

    The population means and SDs are taken from one large draw (``n_population``) of the
    same model. Used to check that a shipped synthetic sample represents its population
    (all ``|z| < 2``) rather than a chance extreme that would misrepresent the model.

    Parameters
    ----------
    sample : SimulatedSample
        The sample to check.
    model : dict, optional
        Population model; default :func:`load_population_model`.
    n_population : int
        Size of the draw that stands for the population.
    seed : int
        Seed of that draw.

    Returns
    -------
    DataFrame
        Levels × latent variables of z-scores.

    Examples
    --------
    >>> from hpmob.simulate import latent_mean_z, simulate_sample
    >>> z = latent_mean_z(simulate_sample(300, seed=3), n_population=20_000)
    >>> z.shape[0], bool(z.abs().max().max() < 4)
    (3, True)
    """
    population = simulate_sample(n_population, seed, model=model)
    level = population.attributes["level"]
    mean = population.latent.groupby(level).mean()
    sd = population.latent.groupby(level).std()
    groups = sample.latent.groupby(sample.attributes["level"])
    se = sd / np.sqrt(groups.size().to_numpy()[:, None])
    return (groups.mean() - mean) / se


# --------------------------------------------------------------------- implied moments
def implied_ystar_moments(model: dict | None = None, codebook: Codebook | None = None) -> dict:
    """Compute the population means and covariance of the scored ``y*`` of reflective items, by level.

    The structural model is linear, so means and covariances follow exactly from the
    parameters (training courses enter through their level-specific Poisson mean and
    variance, capped values ignored).

    Parameters
    ----------
    model : dict, optional
        Population model; default :func:`load_population_model`.
    codebook : Codebook, optional
        Instrument; default the shipped codebook.

    Returns
    -------
    dict
        ``{level: (mean Series, covariance DataFrame)}`` over the items in ``model["items"]``.

    Examples
    --------
    >>> from hpmob.simulate import implied_ystar_moments, load_population_model
    >>> model = load_population_model()
    >>> moments = implied_ystar_moments(model)
    >>> list(moments) == list(model["levels"]), moments[next(iter(moments))][1].shape[0] == len(model["items"])
    (True, True)
    """
    model = model or load_population_model()
    cb = codebook or load_codebook()
    lat = model["latent"]
    exo = list(lat["exogenous"])
    endogenous = list(lat["structural"])
    names = exo + ["train_z", *endogenous]
    k = len(names)
    idx = {v: i for i, v in enumerate(names)}
    # eta = B eta + alpha + zeta  ->  eta = (I - B)^-1 (alpha + zeta)
    B = np.zeros((k, k))
    for endo in endogenous:
        for pred, coef in lat["structural"][endo]["paths"].items():
            B[idx[endo], idx[pred]] = coef
    inv = np.linalg.inv(np.eye(k) - B)
    tc = model["attributes"]["training_courses"]
    item_codes = [c for c in cb.item_columns if c in model["items"]]
    out = {}
    for lev in model_levels(model):
        psi = np.zeros((k, k))
        psi[:len(exo), :len(exo)] = [[lat["correlations"][r][c] for c in exo] for r in exo]
        psi[idx["train_z"], idx["train_z"]] = tc[lev] / tc["z_sd"] ** 2  # Poisson variance
        for endo in endogenous:
            psi[idx[endo], idx[endo]] = lat["structural"][endo]["residual_variance"]
        alpha = np.zeros(k)
        alpha[:len(exo)] = [lat["means"][v][lev] for v in exo]
        alpha[idx["train_z"]] = (tc[lev] - tc["z_mean"]) / tc["z_sd"]
        for endo in endogenous:
            alpha[idx[endo]] = lat["structural"][endo]["intercept"][lev]
        eta_mean = inv @ alpha
        eta_cov = inv @ psi @ inv.T
        lam = np.zeros((len(item_codes), k))
        nu = np.zeros(len(item_codes))
        theta = np.zeros(len(item_codes))
        constructs = cb.items.set_index("code")["construct"]
        for j, code in enumerate(item_codes):
            p = model["items"][code]
            lam[j, idx[constructs[code]]] = p["loading"]
            nu[j] = p["intercept"] + model.get("intercept_shifts", {}).get(code, {}).get(lev, 0.0)
            theta[j] = p["residual_variance"]
        mean = nu + lam @ eta_mean
        cov = lam @ eta_cov @ lam.T + np.diag(theta)
        out[lev] = (pd.Series(mean, index=item_codes), pd.DataFrame(cov, index=item_codes, columns=item_codes))
    return out


def implied_item_covariance(items: list[str], model: dict | None = None,
                            codebook: Codebook | None = None) -> pd.DataFrame:
    """Compute the population covariance of the scored answers of ``items``, pooled over levels.

    Each answer is the category of a normal ``y*`` against the model's thresholds, so
    its moments follow from univariate and bivariate normal probabilities:
    with ``X = 1 + Σ_k 1[y* > τ_k]``, ``E[X_i X_j] = 1 + Σ_k P_i(k) + Σ_l P_j(l) +
    Σ_k Σ_l P(y*_i > τ_k, y*_j > τ_l)``. Levels are mixed with their population shares
    (the pooled sample is a mixture). This is the exact target that sample statistics
    such as Cronbach's alpha estimate, under normal ``y*`` within level.

    Parameters
    ----------
    items : list of str
        Reflective items of the population model.
    model : dict, optional
        Population model; default :func:`load_population_model`.
    codebook : Codebook, optional
        Instrument; default the shipped codebook.

    Returns
    -------
    DataFrame
        ``items`` × ``items``.

    Examples
    --------
    >>> from hpmob.simulate import implied_item_covariance, load_population_model
    >>> items = list(load_population_model()["items"])[:3]
    >>> cov = implied_item_covariance(items)
    >>> cov.shape, bool((cov.to_numpy().diagonal() > 0).all())
    ((3, 3), True)
    """
    model = model or load_population_model()
    moments = implied_ystar_moments(model, codebook)
    tau = np.asarray(model["thresholds"], dtype=float)
    shares = {lev: model["levels"][lev]["share"] for lev in model_levels(model)}
    m = len(items)
    ex = np.zeros(m)
    exx = np.zeros((m, m))
    for lev in model_levels(model):
        mean, cov = moments[lev]
        mu = mean[items].to_numpy()
        sd = np.sqrt(np.diag(cov.loc[items, items].to_numpy()))
        corr = cov.loc[items, items].to_numpy() / np.outer(sd, sd)
        z = (tau[None, :] - mu[:, None]) / sd[:, None]          # standardized thresholds
        upper = stats.norm.sf(z)                                 # P(y* > tau_k)
        e1 = 1 + upper.sum(axis=1)
        e2 = np.zeros((m, m))
        for i in range(m):
            e2[i, i] = 1 + 2 * upper[i].sum() + sum(
                stats.norm.sf(max(z[i, k], z[i, h])) for k in range(len(tau)) for h in range(len(tau)))
            for j in range(i + 1, m):
                bvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, corr[i, j]], [corr[i, j], 1]])
                # P(Y_i > a, Y_j > b) = P(-Y_i < -a, -Y_j < -b) = Phi2(-a, -b; rho)
                joint = sum(bvn.cdf([-z[i, k], -z[j, h]]) for k in range(len(tau)) for h in range(len(tau)))
                e2[i, j] = e2[j, i] = 1 + upper[i].sum() + upper[j].sum() + joint
        ex += shares[lev] * e1
        exx += shares[lev] * e2
    return pd.DataFrame(exx - np.outer(ex, ex), index=items, columns=items)
