"""Sentences on the structural model and the claims: paths, indirect effects, fit, R², summary.

Part of :mod:`hpmob.study.sentences`, which re-exports every name here.
"""

from __future__ import annotations

from hpmob.study.phrasing import bilingual, num, treatment_words, verdict_word

__all__ = ["not_estimable", "path_verdict", "indirect_verdict", "sem_fit", "r2", "claims_summary"]


def not_estimable(label: str, model: str, reason: str) -> dict:
    """Say that a hypothesis's model did not converge or is improper: no verdict from its numbers.

    Parameters
    ----------
    label : str
        The hypothesis label.
    model : str
        The model, lower case (its first letter is capitalised where it starts a sentence).
    reason : str
        What went wrong (``"did not converge"``).

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> not_estimable("H2", "the structural model", "did not converge")["en"]
    'H2 verdict: not estimable. The structural model did not converge; its estimates are not reported as a result.'
    """
    return bilingual(f"{label} verdict: not estimable. {model[0].upper() + model[1:]} {reason}; its estimates are not "
                     f"reported as a result.",
                     f"Kết luận {label}: không ước lượng được. Mô hình ({model}) {reason}; ước lượng của nó không "
                     f"được báo cáo như một kết quả.")


def path_verdict(label: str, lhs: str, rhs: str, sign: str, verdict: str, std, std_lo, std_hi, est, lo, hi) -> dict:
    """State a path hypothesis's verdict with its standardized and unstandardized estimates.

    Parameters
    ----------
    label : str
        The hypothesis label.
    lhs, rhs : str or dict
        The outcome and the predictor of the path (a dict gives each language its name,
        ``{"en": ..., "vi": ...}``).
    sign : {"+", "-"}
        The claimed sign.
    verdict : str
        The verdict; one starting with "not testable" gives a short sentence without numbers.
    std, std_lo, std_hi : float
        Standardized estimate and its 95 % interval.
    est, lo, hi : float
        Unstandardized estimate and its 95 % interval; the interval decides whether the effect
        is "positive", "negative" or "not distinguishable from zero".

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> path_verdict("H2", "Y", "X", "+", "supported", 0.31, 0.18, 0.44, 0.42, 0.24, 0.60)["en"]
    'H2, supported: the effect of X on Y is positive (standardized 0.31, 95 % CI 0.18 to 0.44; unstandardized 0.42, 0.24 to 0.60; claimed sign +).'
    """
    (lhs_en, lhs_vi), (rhs_en, rhs_vi) = ((v.get("en"), v.get("vi")) if isinstance(v, dict) else (v, v)
                                          for v in (lhs, rhs))
    if verdict.startswith("not testable"):
        return bilingual(f"{label} ({rhs_en} → {lhs_en}): not testable with these data.",
                         f"{label} ({rhs_vi} → {lhs_vi}): không kiểm định được với dữ liệu này.")
    # "the effect of X on Y is positive" agrees with any subject ("training courses raises PM" did not)
    if lo > 0:
        how, how_vi = "positive", "dương"
    elif hi < 0:
        how, how_vi = "negative", "âm"
    else:
        how, how_vi = "not distinguishable from zero", "không phân biệt được với 0"
    return bilingual(
        f"{label}, {verdict}: the effect of {rhs_en} on {lhs_en} is {how} (standardized {num(std)}, 95 % CI "
        f"{num(std_lo)} to {num(std_hi)}; unstandardized {num(est)}, {num(lo)} to {num(hi)}; claimed sign {sign}).",
        f"{label}, {verdict_word(verdict, 'vi')}: tác động của {rhs_vi} lên {lhs_vi} là {how_vi} (chuẩn hóa {num(std)}, "
        f"KTC 95 % {num(std_lo)} "
        f"đến {num(std_hi)}; chưa chuẩn hóa {num(est)}, {num(lo)} đến {num(hi)}; dấu kỳ vọng {sign}).")


def indirect_verdict(label: str, name: str, verdict: str, method: str, est: float, intervals: dict) -> dict:
    """State an indirect-effect verdict with every interval computed and the one that decides.

    Parameters
    ----------
    label : str
        The hypothesis label.
    name : str
        The defined parameter of the indirect effect.
    verdict : str
        The verdict.
    method : str
        The interval method the verdict uses (``bootstrap_percentile``).
    est : float
        The indirect effect.
    intervals : dict
        Method to ``(lower, upper)`` of its 95 % interval.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> intervals = {"delta": (0.02, 0.11), "bootstrap_percentile": (0.03, 0.12)}
    >>> indirect_verdict("H3", "ind", "supported", "bootstrap_percentile", 0.065, intervals)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'H3, supported: the indirect effect ind is 0.065 (95 % intervals: delta 0.020 to 0.110; bootstrap percentile
    0.030 to 0.120); 2 of the 2 intervals exclude zero; the verdict uses the bootstrap percentile interval.'
    """
    parts = "; ".join(f"{m.replace('_', ' ')} {lo:.3f} to {hi:.3f}" for m, (lo, hi) in intervals.items())
    n_ex = sum(1 for lo, hi in intervals.values() if lo > 0 or hi < 0)
    return bilingual(
        f"{label}, {verdict}: the indirect effect {name} is {est:.3f} (95 % intervals: {parts}); {n_ex} of the "
        f"{len(intervals)} intervals exclude zero; the verdict uses the {method.replace('_', ' ')} interval.",
        f"{label}, {verdict_word(verdict, 'vi')}: tác động gián tiếp {name} là {est:.3f}; {n_ex}/{len(intervals)} "
        f"khoảng tin cậy không chứa 0; kết luận dựa trên khoảng {method.replace('_', ' ')}.")


def sem_fit(n: int, fm, missing: str = "listwise", n_all: int | None = None) -> dict:
    """Report who the structural model uses and its fit indices.

    Parameters
    ----------
    n : int
        Respondents the model used.
    fm : mapping
        Fit measures: ``df, chisq, cfi, tli, rmsea, rmsea.ci.lower, rmsea.ci.upper, srmr``.
    missing : {"listwise", "ml"}
        The missing-data treatment (under ``ml`` the sentence adds that observed covariates
        have free variances).
    n_all : int, optional
        Respondents analysed, printed as "n of the n_all".

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> fm = {"df": 510, "chisq": 601.2, "cfi": 0.981, "tli": 0.979, "rmsea": 0.02,
    ...       "rmsea.ci.lower": 0.014, "rmsea.ci.upper": 0.025, "srmr": 0.04}
    >>> sem_fit(455, fm, n_all=468)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'The model is fitted to 455 of the 468 respondents, those who answered every one of its variables (listwise
    deletion). χ²(510) = 601.2, CFI = 0.981, TLI = 0.979, RMSEA = 0.020 (90 % CI 0.014–0.025), SRMR = 0.040.'
    """
    who, who_vi = treatment_words(missing)
    of = f" of the {n_all}" if n_all is not None else ""
    of_vi = f" trên {n_all}" if n_all is not None else ""
    x_en = (" The observed covariates get free variances and covariances, so a missing covariate does not drop its "
            "respondent." if missing == "ml" else "")
    x_vi = (" Các biến đồng biến quan sát có phương sai và hiệp phương sai tự do, nên thiếu một biến đồng biến không "
            "loại người trả lời." if missing == "ml" else "")
    return bilingual(
        f"The model is fitted to {n}{of} respondents, those {who}.{x_en} χ²({fm['df']:.0f}) = "
        f"{fm['chisq']:.1f}, CFI = {fm['cfi']:.3f}, TLI = {fm['tli']:.3f}, RMSEA = {fm['rmsea']:.3f} (90 % CI "
        f"{fm['rmsea.ci.lower']:.3f}–{fm['rmsea.ci.upper']:.3f}), SRMR = {fm['srmr']:.3f}.",
        f"Mô hình ước lượng trên {n}{of_vi} người trả lời, những người {who_vi}.{x_vi} χ²({fm['df']:.0f}) = "
        f"{fm['chisq']:.1f}, CFI = {fm['cfi']:.3f}, TLI = {fm['tli']:.3f}, RMSEA = {fm['rmsea']:.3f}, "
        f"SRMR = {fm['srmr']:.3f}.")


def r2(values: dict) -> dict:
    """Report the variance the model explains in each outcome.

    Parameters
    ----------
    values : dict
        Outcome to its R².

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> r2({"Y": 0.31, "Z": 0.12})["en"]
    'The model explains 0.31 of the variance of Y, 0.12 of the variance of Z.'
    """
    parts = ", ".join(f"{num(v)} of the variance of {k}" for k, v in values.items())
    parts_vi = ", ".join(f"{num(v)} phương sai của {k}" for k, v in values.items())
    return bilingual(f"The model explains {parts}.", f"Mô hình giải thích {parts_vi}.")


def claims_summary(n: int, n_sup: int, n_not: int, n_nt: int, not_supported: list[str], n_ne: int = 0) -> dict:
    """Count the claims by verdict and list those not supported.

    Parameters
    ----------
    n : int
        Number of claims.
    n_sup, n_not, n_nt : int
        Supported, not supported and not testable with these data.
    not_supported : list of str
        The claims not supported.
    n_ne : int
        Not estimable (mentioned only when positive).

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> claims_summary(7, 5, 1, 1, ["H5: B raises C"])["en"]
    'Of the 7 claims, 5 are supported, 1 not supported and 1 not testable with these data. Not supported: H5: B raises C.'
    """
    ne = f", {n_ne} not estimable (the model behind them did not converge or is improper)" if n_ne else ""
    ne_vi = f", {n_ne} không ước lượng được (mô hình không hội tụ hoặc nghiệm không hợp lệ)" if n_ne else ""
    return bilingual(
        f"Of the {n} claims, {n_sup} are supported, {n_not} not supported{ne} and {n_nt} not testable with these "
        f"data. Not supported: {'; '.join(not_supported) if not_supported else 'none'}.",
        f"Trong {n} nhận định, {n_sup} được ủng hộ, {n_not} không được ủng hộ{ne_vi} và {n_nt} không kiểm định được "
        f"với dữ liệu này.")
