"""Verdicts of the plan's hypotheses, from the results tables: one function per hypothesis type.

Every step of the study layer, the claims table and each power replicate judge a
hypothesis with the same function here, so a rule ("the interval lies on the claimed
side of zero") is written once. Each returns claim rows ``claim, hypothesis, test,
estimate, ci_low, ci_high, verdict`` (several for a ranking) plus, in ``detail``, what the
sentences need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hpmob.codebook import Codebook
from hpmob.study.models import indirect_label
from hpmob.study.plan import AnalysisPlan, Hypothesis

SUPPORTED, NOT_SUPPORTED, NOT_TESTABLE = "supported", "not supported", "not testable with these data"
#: the verdict of a hypothesis whose model did not converge or has an improper solution
NOT_ESTIMABLE = "not estimable"
#: ``estimator``, ``missing`` and ``n``: how the numbers behind each verdict were estimated, on how many
#: ``ordinal_verdict`` and ``ordinal_level``: a latent-mean hypothesis judged again with the items as ordered
#: categories (WLSMV, Wu & Estabrook 2016) and the invariance level that comparison reached ("" for the others)
CLAIM_COLUMNS = ["claim", "hypothesis", "test", "estimate", "ci_low", "ci_high", "verdict", "estimator", "missing",
                 "n", "ordinal_verdict", "ordinal_level"]

__all__ = ["SUPPORTED", "NOT_SUPPORTED", "NOT_TESTABLE", "NOT_ESTIMABLE", "CLAIM_COLUMNS", "judge",
           "on_claimed_side", "latent_order_holds", "fit_problem", "ordinal_tables", "ordinal_columns"]


#: the share hypotheses' estimator and missing-data treatment (claims table columns)
SHARE_ESTIMATOR, AVAILABLE = "proportion, Wilson interval", "available cases"


def on_claimed_side(lo: float, hi: float, sign: str) -> bool:
    """Tell whether the interval ``[lo, hi]`` excludes zero on the side ``sign`` claims.

    Parameters
    ----------
    lo, hi : float
        The interval.
    sign : {"+", "-", "any"}
        The claimed side.

    Returns
    -------
    bool
        True when the interval lies entirely on that side (either side for ``any``).

    Examples
    --------
    >>> on_claimed_side(0.1, 0.4, "+"), on_claimed_side(-0.4, -0.1, "+"), on_claimed_side(-0.4, -0.1, "any")
    (True, False, True)
    """
    if sign == "+":
        return bool(lo > 0)
    if sign == "-":
        return bool(hi < 0)
    return bool(lo > 0 or hi < 0)


def latent_order_holds(estimates: dict, order: list[str]) -> bool:
    """Tell whether the point estimates are strictly increasing along ``order`` (lowest first).

    Parameters
    ----------
    estimates : dict
        Group to latent mean.
    order : list of str
        The claimed order, lowest first.

    Returns
    -------
    bool
        True when every step along ``order`` increases.

    Examples
    --------
    >>> latent_order_holds({"city": 0.0, "district": -0.2, "commune": -0.5}, ["commune", "district", "city"])
    True
    """
    values = [estimates[g] for g in order]
    return all(a < b for a, b in zip(values, values[1:]))


def _row(claim, label, test, est, lo, hi, verdict, estimator="", missing="", n=np.nan) -> dict:
    return dict(zip(CLAIM_COLUMNS, [claim, label, test, est, lo, hi, verdict, estimator, missing, n, "", ""]))


def ordinal_tables(tables: dict) -> dict:
    """Rename the ordinal invariance step's tables to the names :func:`judge` reads for latent means.

    Parameters
    ----------
    tables : dict of DataFrame
        The results tables.

    Returns
    -------
    dict
        ``latent_means`` and ``invariance_status`` from the ordinal tables (None where absent).

    Examples
    --------
    >>> from hpmob.study.verdicts import ordinal_tables
    >>> ordinal_tables({"ordinal_latent_means": "L"})
    {'latent_means': 'L', 'invariance_status': None}
    """
    return {"latent_means": tables.get("ordinal_latent_means"),
            "invariance_status": tables.get("ordinal_invariance_status")}


def ordinal_columns(h: Hypothesis, plan: AnalysisPlan, codebook: Codebook, tables: dict) -> tuple[str, str]:
    """Return ``(ordinal_verdict, ordinal_level)`` of a latent-mean hypothesis.

    The verdict is :func:`judge`'s on the ordinal latent means: "not estimable" when the
    ordinal model did not converge, is improper or could not be fitted.

    Parameters
    ----------
    h : Hypothesis
        The hypothesis.
    plan : AnalysisPlan
        The analysis plan.
    codebook : Codebook
        The instrument.
    tables : dict of DataFrame
        The results tables, the ordinal invariance step's included.

    Returns
    -------
    tuple of str
        The verdict on the ordinal latent means and the level they were compared at;
        ``("", "")`` for another type of hypothesis or when the ordinal step did not run.

    Examples
    --------
    >>> from hpmob.study.verdicts import ordinal_columns
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> ordinal_columns(plan.hypotheses[0], plan, codebook, {})
    ('', '')
    """
    status = tables.get("ordinal_invariance_status")
    if h.type != "latent_mean_order" or status is None or plan.missing_for(h):
        return "", ""
    decision = tables.get("ordinal_invariance_decision")
    level = str(decision["level"].iloc[0]) if decision is not None and len(decision) else ""
    return judge(h, plan, codebook, ordinal_tables(tables), invariance=level)[0]["verdict"], level


def _status(tables: dict, key: str, model: str):
    """The row of ``model`` in the ``key`` status table (how it was estimated), or None."""
    st = tables.get(key)
    if st is None or not len(st) or not (st["model"] == model).any():
        return None
    return st[st["model"] == model].iloc[0]


def fit_problem(status) -> str:
    """Say why a fitted model gives no verdict ("" when it converged to a proper solution).

    Parameters
    ----------
    status : mapping or None
        A row of a ``*_status`` table: ``converged, proper, convergence, improper``.

    Returns
    -------
    str
        "did not converge (…)", "has an improper solution (…)" or "".

    Examples
    --------
    >>> fit_problem({"converged": False, "proper": True, "convergence": "gradient 0.3", "improper": ""})
    'did not converge (gradient 0.3)'
    """
    if status is None:
        return ""
    if not _true(status["converged"]):
        why = status["convergence"] if isinstance(status["convergence"], str) and status["convergence"] else ""
        return "did not converge" + (f" ({why})" if why else "")
    if not _true(status["proper"]):
        return f"has an improper solution ({status['improper']})"
    return ""


def _true(v) -> bool:
    return v is True or (isinstance(v, (bool, np.bool_)) and bool(v)) or str(v) == "True"


def _fitted(row: dict, status, what: str) -> dict:
    """``row`` with the estimator, missing-data treatment and N of the model behind it; its
    verdict becomes "not estimable" when that model did not converge or is improper."""
    if status is None:
        return row
    row.update(estimator=status["estimator"], missing=status["missing"], n=int(status["n"]))
    problem = fit_problem(status)
    if problem and row["verdict"] in (SUPPORTED, NOT_SUPPORTED):
        row.update(verdict=NOT_ESTIMABLE, test=f"{row['test']} — not estimable: {what} {problem}")
    return row


def _untestable(h: Hypothesis, test: str, why: str, lang: str) -> dict:
    return _row(h.claim[lang], h.label, f"{test} — not estimated: {why}", np.nan, np.nan, np.nan, NOT_TESTABLE)


def variable_name(plan: AnalysisPlan, var: str, lang: str) -> str:
    """A structural variable as the claims table and the sentences name it: a covariate's label,
    else its code (a construct)."""
    return (plan.covariates.get(var, {}).get("label") or {}).get(lang, var)


def test_description(h: Hypothesis, plan: AnalysisPlan, codebook: Codebook, *, invariance: str = "",
                     lang: str = "en") -> str:
    """The claims table's ``test`` column for hypothesis ``h``."""
    conf = f"{plan.estimation['conf']:.0%}"
    if h.type == "share_above":
        what = h.get("construct") or ", ".join(h["items"])
        cut = _lowest_agree(codebook, h)
        return f"share agreeing with {what} (composite ≥ {cut}) above {plan.threshold(h):.0%}, Wilson {conf} CI"
    if h.type == "ranking":
        return f"share rating each item {_agree_word(h, lang)} ({_codes(codebook, h)}) above {plan.threshold(h):.0%}"
    if h.type == "latent_mean_order":
        g, ref = h["contrast"]
        inv = invariance or plan.grouping["invariance_target"]
        if h.get("order"):
            return (f"latent mean of {h['construct']} ordered {' < '.join(h['order'])}; {g} − {ref} shown, "
                    f"{inv} invariance")
        return f"latent mean of {h['construct']}, {g} − {ref}, {inv} invariance"
    if h.type == "path":
        return (f"SEM path {variable_name(plan, h['rhs'], lang)} → {variable_name(plan, h['lhs'], lang)}, "
                f"unstandardized, {conf} CI")
    if h.type == "indirect":
        product = "·".join(r for r in _chain_labels(plan, h["chain"]))
        return f"indirect effect {product}, {plan.estimation['indirect_method'].replace('_', ' ')} {conf} CI"
    return h["reason"][lang]


def _chain_labels(plan: AnalysisPlan, chain) -> list[str]:
    by_pair = {(r["lhs"], r["rhs"]): r.get("label") for r in plan.regressions}
    return [by_pair[(b, a)] for a, b in zip(chain, chain[1:])]


def _items(codebook: Codebook, h: Hypothesis) -> list[str]:
    return list(h["items"]) if h.get("items") else codebook.items_of(h["construct"])


def _agree_codes(codebook: Codebook, h: Hypothesis) -> list:
    try:
        return codebook.agree_codes(_items(codebook, h)[0])
    except (KeyError, IndexError):  # a construct this codebook lacks: the claim is not testable anyway
        return []


def _lowest_agree(codebook: Codebook, h: Hypothesis) -> str:
    codes = _agree_codes(codebook, h)
    return f"{min(codes):g}" if codes else "the lowest agree code"


def _codes(codebook: Codebook, h: Hypothesis) -> str:
    codes = _agree_codes(codebook, h)
    if not codes:
        return "agree codes"
    return f"{min(codes)}–{max(codes)}" if len(codes) > 1 else str(codes[0])


def _agree_word(h: Hypothesis, lang: str) -> str:
    return (h.get("agree_word") or {}).get(lang, "agreeing" if lang == "en" else "đồng ý")


def judge(h: Hypothesis, plan: AnalysisPlan, codebook: Codebook, tables: dict, *, invariance: str = "",
          lang: str = "en") -> list[dict]:
    """Build the claim rows of hypothesis ``h`` from the results ``tables``.

    Parameters
    ----------
    h : Hypothesis
        The hypothesis.
    plan : AnalysisPlan
        The analysis plan (thresholds, constructs present).
    codebook : Codebook
        The instrument (construct labels).
    tables : dict of DataFrame
        Whatever the hypothesis needs: ``agreement_<construct>`` (share_above), the
        ranking's table under the hypothesis id, ``latent_means``, ``sem_paths``,
        ``indirect_effects``. A missing or empty table makes the claim not testable with
        the reason in the test column.
    invariance : str
        The invariance level the latent means were compared at (for the test column).
    lang : {"en", "vi"}
        Language of the claim text.

    Returns
    -------
    list of dict
        Rows with :data:`CLAIM_COLUMNS`.

    Examples
    --------
    >>> from hpmob.study.verdicts import judge
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> rows = judge(plan.hypotheses[0], plan, codebook, {})  # no table: not testable
    >>> rows[0]["verdict"]
    'not testable with these data'
    """
    test = test_description(h, plan, codebook, invariance=invariance, lang=lang)
    missing = plan.missing_for(h)
    if missing:
        return [_untestable(h, test, f"{', '.join(missing)} not in the codebook", lang)]
    if h.type == "not_testable":
        return [_row(h.claim[lang], h.label, test, np.nan, np.nan, np.nan, NOT_TESTABLE)]
    if h.type == "share_above":
        key = f"agreement_{(h.get('construct') or h.id).lower()}"
        tab = tables.get(key)
        comp = tab[(tab["item"] == "composite") & (tab["group"] == "all")] if tab is not None and len(tab) else []
        if not len(comp):
            return [_untestable(h, test, f"no composite share of {h.get('construct')}", lang)]
        c = comp.iloc[0]
        verdict = SUPPORTED if c["ci_low"] > plan.threshold(h) else NOT_SUPPORTED
        return [_row(h.claim[lang], h.label, test, c["share"], c["ci_low"], c["ci_high"], verdict, SHARE_ESTIMATOR,
                     AVAILABLE, int(c["n"]))]
    if h.type == "ranking":
        tab = tables.get(h.id)
        if tab is None or not len(tab):
            return [_untestable(h, test, "no shares of the items", lang)]
        tab = tab[tab["item"] != "composite"]
        wording = codebook.items.set_index("code")[f"text_{lang}"]
        # codebook order, so tables from different samples line up; the rank is in the test column
        tab = tab.set_index("item").loc[[c for c in codebook.item_columns if c in set(tab["item"])]].reset_index()
        rank = tab["share"].rank(ascending=False, method="min").astype(int)
        thr = plan.threshold(h)
        conf = f"{plan.estimation['conf']:.0%}"
        return [_row(h.claim[lang].format(item=wording[r.item].rstrip(".")), h.label,
                     f"share rating {r.item} {_agree_word(h, lang)} ({_codes(codebook, h)}) above {thr:.0%}, "
                     f"Wilson {conf} CI (rank {k} of {len(tab)})",
                     r.share, r.ci_low, r.ci_high, SUPPORTED if r.ci_low > thr else NOT_SUPPORTED, SHARE_ESTIMATOR,
                     AVAILABLE, int(r.n))
                for r, k in zip(tab.itertuples(index=False), rank)]
    if h.type == "latent_mean_order":
        lm = tables.get("latent_means")
        g, ref = h["contrast"]
        status = _status(tables, "invariance_status", "latent means")
        if status is not None and fit_problem(status) and (lm is None or not len(lm)):
            return [_fitted(_row(h.claim[lang], h.label, test, np.nan, np.nan, np.nan, NOT_SUPPORTED), status,
                            "the latent-means model")]
        if lm is None or not ((lm["factor"] == h["construct"]) & (lm["group_label"] == g)).any():
            return [_untestable(h, test, f"{h['construct']} not compared across groups", lang)]
        sub = lm[lm["factor"] == h["construct"]].set_index("group_label")
        est, lo, hi = (float(sub.loc[g, c]) for c in ("est", "ci.lower", "ci.upper"))
        ok = on_claimed_side(lo, hi, h["sign"])
        if h.get("order"):
            ok = ok and latent_order_holds(sub["est"].to_dict(), h["order"])
        row = _row(h.claim[lang], h.label, test, est, lo, hi, SUPPORTED if ok else NOT_SUPPORTED)
        return [_fitted(row, _status(tables, "invariance_status", "latent means"), "the latent-means model")]
    if h.type == "path":
        paths = tables.get("sem_paths")
        if paths is None or not ((paths["lhs"] == h["lhs"]) & (paths["rhs"] == h["rhs"])).any():
            return [_untestable(h, test, f"{h['rhs']} is not in the structural model", lang)]
        r = paths[(paths["lhs"] == h["lhs"]) & (paths["rhs"] == h["rhs"])].iloc[0]
        est, lo, hi = float(r["est"]), float(r["ci.lower"]), float(r["ci.upper"])
        verdict = SUPPORTED if on_claimed_side(lo, hi, h["sign"]) else NOT_SUPPORTED
        row = _row(h.claim[lang], h.label, test, est, lo, hi, verdict)
        return [_fitted(row, _status(tables, "sem_status", "structural"), "the structural model")]
    if h.type == "indirect":
        effects = tables.get("indirect_effects")
        name, _ = indirect_label(plan, h["chain"])
        method = plan.estimation["indirect_method"]
        ind = (effects[(effects["effect"] == name) & (effects["method"] == method)]
               if effects is not None else [])
        if not len(ind):
            return [_untestable(h, test, f"no {method} interval of the indirect effect", lang)]
        r = ind.iloc[0]
        verdict = SUPPORTED if on_claimed_side(r["ci.lower"], r["ci.upper"], h["sign"]) else NOT_SUPPORTED
        row = _row(h.claim[lang], h.label, test, r["est"], r["ci.lower"], r["ci.upper"], verdict)
        return [_fitted(row, _status(tables, "sem_status", "structural"), "the structural model")]
    raise ValueError(f"unknown hypothesis type {h.type!r}")


def claims_rows(plan: AnalysisPlan, codebook: Codebook, tables: dict, *, invariance: str = "",
                lang: str = "en") -> pd.DataFrame:
    """The claims table: every hypothesis of the plan judged, in the plan's order."""
    rows = []
    for h in plan.hypotheses:
        ordinal_verdict, ordinal_level = ordinal_columns(h, plan, codebook, tables)
        rows += [{**row, "ordinal_verdict": ordinal_verdict, "ordinal_level": ordinal_level}
                 for row in judge(h, plan, codebook, tables, invariance=invariance, lang=lang)]
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS).astype({"n": "Int64"})
