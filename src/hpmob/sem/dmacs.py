"""dMACS, the effect size of a non-invariant item (Nye & Drasgow 2011).

For an item with intercept ``ν`` and loading ``λ`` on one factor, the expected score
given the factor is ``ν + λη`` in each group. dMACS is the root mean squared difference
of the two expected-score lines over the focal group's factor distribution
``η ~ N(κ_F, φ_F)``, in units of the item's pooled within-group SD:

``dMACS = √(∫ (Δν + Δλ η)² dN(κ_F, φ_F)) / SD_pooled = √((Δν + Δλ κ_F)² + Δλ² φ_F) / SD_pooled``,

``SD_pooled = √(Σ_g (n_g − 1) s_g² / (Σ_g n_g − 2))`` with ``s_g²`` the unbiased item
variance. The closed form is checked against numerical integration in
``tests/test_sem_dmacs.py`` (the R package ``dmacs`` is not installable here).
``mean_difference`` is the signed expected item-score difference ``Δν + Δλ κ_F``
(focal minus reference, raw scale), Nye & Drasgow's mean difference.

For ordinal items (:func:`dmacs_ordinal`) the expected score is that of the probit
threshold model, ``E(X | η) = Σ_c x_c P(X = x_c | η)`` with
``P(X > x_k | η) = Φ((ν + λη − τ_k) / √θ)``, and the integral is taken numerically
(Gauss–Hermite) over the focal group's factor distribution.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

__all__ = ["dmacs", "dmacs_value"]


def dmacs_value(nu_ref: float, lambda_ref: float, nu_focal: float, lambda_focal: float,
                mean_focal: float, var_focal: float, sd_pooled: float) -> float:
    """Compute dMACS of one item for one pair of groups (closed form of Nye & Drasgow's integral).

    Parameters
    ----------
    nu_ref, lambda_ref : float
        The item's intercept and loading in the reference group.
    nu_focal, lambda_focal : float
        The same in the focal group.
    mean_focal, var_focal : float
        Mean and variance of the factor in the focal group (the distribution the expected
        score difference is integrated over).
    sd_pooled : float
        The item's pooled standard deviation (positive).

    Returns
    -------
    float
        ``sqrt((Δν + Δλ·κ)² + Δλ²·φ) / sd_pooled`` with κ, φ the focal factor's mean and variance.

    Examples
    --------
    >>> round(dmacs_value(1.0, 0.8, 1.3, 0.8, 0.0, 1.0, 1.5), 12)  # intercepts differ by .3: .3 / 1.5
    0.2
    """
    if not sd_pooled > 0:
        raise ValueError(f"sd_pooled must be positive, got {sd_pooled!r}.")
    if var_focal < 0:
        raise ValueError(f"var_focal must be non-negative, got {var_focal!r} (a Heywood case?).")
    d_nu, d_lam = nu_focal - nu_ref, lambda_focal - lambda_ref
    return math.sqrt((d_nu + d_lam * mean_focal) ** 2 + d_lam**2 * var_focal) / sd_pooled


def _freed_items(result) -> list[str]:
    items = []
    for entry in result.group_partial:
        if entry.endswith("~1"):
            items.append(entry[:-2])
        elif "=~" in entry:
            items.append(entry.split("=~", 1)[1])
    return list(dict.fromkeys(items))


def dmacs(result, items=None, *, reference=None) -> pd.DataFrame:
    """dMACS of each freed item of a multigroup fit, for every focal group against the reference.

    Parameters
    ----------
    result : MultigroupResult
        A fit from :func:`hpmob.sem.fit_multigroup` with a mean structure (a scalar or
        partial scalar model, so that intercepts are estimated in every group).
    items : list of str, optional
        Items to report; default the items whose intercept or loading the fit's
        ``group_partial`` frees.
    reference : group label, optional
        The reference group (default group 1).

    Returns
    -------
    DataFrame
        ``item, factor, reference, focal, dmacs, mean_difference, sd_pooled``.

    Examples
    --------
    >>> from hpmob.sem import fit_multigroup
    >>> from semopy.examples import holzinger39
    >>> hs = holzinger39.get_data()
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> res = fit_multigroup(m, hs, "school", group_equal=("loadings", "intercepts"), group_partial=("x3~1",))
    >>> dmacs(res).round(3)
      item  factor reference        focal  dmacs  mean_difference  sd_pooled
    0   x3  visual   Pasteur  Grant-White  0.481           -0.532      1.106
    """
    e = result.estimates
    labels = list(result.group_labels)
    ref = labels[0] if reference is None else reference
    if ref not in labels:
        raise ValueError(f"reference {ref!r} is not a group of the fit (groups: {', '.join(map(str, labels))}).")
    items = _freed_items(result) if items is None else list(items)
    if not items:
        raise ValueError("No freed item: pass items=[...] or fit a partial model (group_partial).")
    rows = []
    for item in items:
        load = e[(e["op"] == "=~") & (e["rhs"] == item)]
        factors = list(dict.fromkeys(load["lhs"]))
        if len(factors) != 1:
            raise ValueError(f"Item {item!r} loads on {len(factors)} factors; dMACS here needs exactly one.")
        f = factors[0]
        n = result.n_by_group
        # (n_g - 1) s_g^2 = n_g * (N-divisor variance)
        ss = sum(n[g] * float(result.sample[g]["cov"].loc[item, item]) for g in labels)
        sd = math.sqrt(ss / (sum(n[g] for g in labels) - 2))

        def par(g, lhs, op, rhs):
            sel = e[(e["group_label"] == g) & (e["lhs"] == lhs) & (e["op"] == op) & (e["rhs"] == rhs)]
            if sel.empty:
                raise ValueError(f"The fit has no {lhs}{op}{rhs} in group {g!r}: dMACS needs intercepts "
                                 "(a model with a mean structure, e.g. a scalar or partial scalar model).")
            return float(sel["est"].iloc[0])

        nu_r, lam_r = par(ref, item, "~1", ""), par(ref, f, "=~", item)
        for g in labels:
            if g == ref:
                continue
            nu_f, lam_f = par(g, item, "~1", ""), par(g, f, "=~", item)
            kappa, phi = par(g, f, "~1", ""), par(g, f, "~~", f)
            rows.append({"item": item, "factor": f, "reference": ref, "focal": g,
                         "dmacs": dmacs_value(nu_r, lam_r, nu_f, lam_f, kappa, phi, sd),
                         "mean_difference": (nu_f - nu_r) + (lam_f - lam_r) * kappa, "sd_pooled": sd})
    return pd.DataFrame(rows, columns=["item", "factor", "reference", "focal", "dmacs", "mean_difference",
                                       "sd_pooled"]).astype({"dmacs": float})



_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(64)  # nodes for the standard normal weight


def expected_item_score(eta, nu: float, lam: float, theta: float, thresholds, categories) -> np.ndarray:
    """E(X | η) of an ordinal item under the probit threshold model (delta or theta scale).

    ``P(X > x_k | η) = Φ((ν + λη − τ_k) / √θ)``; ``categories`` are the category values
    ``x_1 < … < x_K`` and ``thresholds`` the ``K − 1`` values ``τ_k``.

    Examples
    --------
    >>> float(expected_item_score(0.0, 0.0, 1.0, 1.0, [0.0], [0, 1]))  # P(X = 1) = 1/2
    0.5
    """
    eta = np.asarray(eta, dtype=float)
    cats = np.asarray(categories, dtype=float)
    tau = np.asarray(thresholds, dtype=float)
    if theta <= 0:
        raise ValueError(f"The residual variance must be positive, got {theta!r} (a Heywood case?).")
    above = special.ndtr((nu + lam * eta[..., None] - tau) / math.sqrt(theta))  # P(X > x_k)
    return cats[0] + (above * np.diff(cats)).sum(axis=-1)


def dmacs_ordinal(result, items=None, *, reference=None) -> pd.DataFrame:
    """dMACS of freed ordinal items of a Wu & Estabrook fit, per focal group against the reference.

    Parameters
    ----------
    result : SemResult
        From :func:`hpmob.sem.ordinal_invariance.fit_ordinal_multigroup` (a partial model,
        so that the freed parameters differ between groups).
    items : list of str, optional
        Items to report (default: every item whose intercept, loading or thresholds differ
        between a focal group and the reference).
    reference : group label, optional
        Default group 1.

    Returns
    -------
    DataFrame
        ``item, factor, reference, focal, dmacs, mean_difference, sd_pooled``; the SD is
        pooled from the item's observed scores (unbiased group variances).
    """
    e = result.estimates
    st = result.state
    labels = list(dict.fromkeys(e["group_label"]))
    ref = labels[0] if reference is None else reference
    if ref not in labels:
        raise ValueError(f"reference {ref!r} is not a group of the fit (groups: {', '.join(map(str, labels))}).")
    ov = st.stats[0].items

    def item_pars(g, item):
        sel = e[e["group_label"] == g]
        load = sel[(sel["op"] == "=~") & (sel["rhs"] == item)]
        if len(load) != 1:
            raise ValueError(f"Item {item!r} loads on {len(load)} factors; dMACS here needs exactly one.")
        f = load["lhs"].iloc[0]

        def one(lhs, op, rhs):
            return float(sel[(sel["lhs"] == lhs) & (sel["op"] == op) & (sel["rhs"] == rhs)]["est"].iloc[0])

        tau = sel[(sel["lhs"] == item) & (sel["op"] == "|")]["est"].to_numpy()
        return (f, float(load["est"].iloc[0]), one(item, "~1", ""), one(item, "~~", item), tau,
                one(f, "~1", ""), one(f, "~~", f))

    if items is None:
        items = []
        for item in ov:
            r = item_pars(ref, item)
            for g in labels:
                o = item_pars(g, item)
                if g != ref and (abs(o[1] - r[1]) > 1e-12 or abs(o[2] - r[2]) > 1e-12
                                 or np.abs(o[4] - r[4]).max() > 1e-12):
                    items.append(item)
                    break
        if not items:
            raise ValueError("No item differs between groups: pass items=[...] or fit a partial model.")
    rows = []
    for item in items:
        j = ov.index(item)
        n = [s.n for s in st.stats]
        v = [float(s.item_variances[j]) for s in st.stats]
        sd = math.sqrt(sum((n_g - 1) * v_g for n_g, v_g in zip(n, v)) / (sum(n) - 2))
        cats = st.stats[0].levels[j]
        f, lam_r, nu_r, th_r, tau_r, _, _ = item_pars(ref, item)
        for g in labels:
            if g == ref:
                continue
            _, lam_f, nu_f, th_f, tau_f, kappa, phi = item_pars(g, item)
            eta = kappa + math.sqrt(phi) * _GH_X
            diff = (expected_item_score(eta, nu_f, lam_f, th_f, tau_f, cats)
                    - expected_item_score(eta, nu_r, lam_r, th_r, tau_r, cats))
            wts = _GH_W / _GH_W.sum()
            rows.append({"item": item, "factor": f, "reference": ref, "focal": g,
                         "dmacs": math.sqrt(float(wts @ diff**2)) / sd,
                         "mean_difference": float(wts @ diff), "sd_pooled": sd})
    return pd.DataFrame(rows, columns=["item", "factor", "reference", "focal", "dmacs", "mean_difference",
                                       "sd_pooled"])
