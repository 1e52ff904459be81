"""Sentences on the measurement model: suitability, CFA fit, loadings, validity, method checks, ordinal fits.

Part of :mod:`hpmob.study.sentences`, which re-exports every name here.
"""

from __future__ import annotations

import math

from hpmob.study.phrasing import bilingual, num

__all__ = ["suitability", "cfa_fit", "weakest_loading", "validity", "modification_indices", "harman",
           "ordinal", "ordinal_fit"]


def suitability(kmo: float, kmo_ok: bool, chisq: float, df: int, bartlett_ok: bool, n_factors: int,
                n_components: int, n_constructs: int) -> dict:
    """Summarise the factorability checks: KMO, Bartlett's test and parallel analysis.

    Parameters
    ----------
    kmo : float
        The overall Kaiser–Meyer–Olkin measure.
    kmo_ok : bool
        Whether it meets the criterion.
    chisq : float
        Bartlett's chi-square.
    df : int
        Its degrees of freedom.
    bartlett_ok : bool
        Whether Bartlett's test rejects an identity correlation matrix.
    n_factors, n_components : int
        Factors retained by parallel analysis on common-factor eigenvalues, and components on
        principal-component eigenvalues.
    n_constructs : int
        Constructs of the instrument.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``; "well suited" only when both checks pass.

    Examples
    --------
    >>> suitability(0.91, True, 5321.4, 465, True, 6, 5, 6)["en"]  # doctest: +NORMALIZE_WHITESPACE
    "KMO = 0.91 and Bartlett's χ²(465) = 5321: the correlations are well suited to factoring. Parallel analysis on
    common-factor eigenvalues retains 6 factors (the figure), on principal components 5, against 6 constructs in
    the instrument."
    """
    suited = kmo_ok and bartlett_ok
    return bilingual(
        f"KMO = {num(kmo)} and Bartlett's χ²({df}) = {chisq:.0f}: the correlations are "
        f"{'well suited' if suited else 'not clearly suited'} to factoring. Parallel analysis on common-factor "
        f"eigenvalues retains {n_factors} factors (the figure), on principal components {n_components}, "
        f"against {n_constructs} constructs in the instrument.",
        f"KMO = {num(kmo)} và kiểm định Bartlett χ²({df}) = {chisq:.0f}: ma trận tương quan "
        f"{'phù hợp' if suited else 'chưa rõ phù hợp'} để phân tích nhân tố. Phân tích song song giữ lại "
        f"{n_factors} nhân tố (hình), {n_components} thành phần chính, so với {n_constructs} cấu trúc của "
        "bộ công cụ.")


def cfa_fit(meets: bool, df: float, chisq: float, ratio: float, cfi, tli, rmsea, lo, hi, srmr) -> dict:
    """Report the CFA's fit indices and whether they meet the Hu & Bentler (1999) cut-offs.

    Parameters
    ----------
    meets : bool
        Whether every index meets its cut-off (the caller judges; this only words it).
    df, chisq, ratio : float
        Degrees of freedom, chi-square and chi-square over df.
    cfi, tli, rmsea, lo, hi, srmr : float
        CFI, TLI, RMSEA with its 90 % interval (``lo``, ``hi``) and SRMR.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> cfa_fit(True, 419, 512.3, 512.3 / 419, 0.975, 0.972, 0.021, 0.015, 0.027, 0.035)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'χ²(419) = 512.3 (χ²/df = 1.22), CFI = 0.975, TLI = 0.972, RMSEA = 0.021 (90 % CI 0.015–0.027), SRMR = 0.035:
    the model meets the Hu & Bentler (1999) cut-offs (CFI, TLI ≥ .95; RMSEA ≤ .06; SRMR ≤ .08).'
    """
    word = "meets" if meets else "does not meet"
    return bilingual(
        f"χ²({df:.0f}) = {chisq:.1f} (χ²/df = {ratio:.2f}), CFI = {cfi:.3f}, TLI = {tli:.3f}, RMSEA = {rmsea:.3f} "
        f"(90 % CI {lo:.3f}–{hi:.3f}), SRMR = {srmr:.3f}: the model {word} the Hu & Bentler (1999) cut-offs "
        "(CFI, TLI ≥ .95; RMSEA ≤ .06; SRMR ≤ .08).",
        f"χ²({df:.0f}) = {chisq:.1f} (χ²/df = {ratio:.2f}), CFI = {cfi:.3f}, TLI = {tli:.3f}, RMSEA = {rmsea:.3f} "
        f"(KTC 90 % {lo:.3f}–{hi:.3f}), SRMR = {srmr:.3f}: mô hình {'đạt' if meets else 'không đạt'} các "
        "ngưỡng của Hu & Bentler (1999).")


def weakest_loading(value: float, item: str, reverse: bool) -> dict:
    """Name the weakest standardized loading and whether its item is reverse-keyed.

    Parameters
    ----------
    value : float
        The smallest standardized loading.
    item : str
        Its item.
    reverse : bool
        Whether that item is reverse-keyed.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> weakest_loading(0.48, "A3", True)["en"]
    'The weakest standardized loading is 0.48 (A3), a reverse-keyed (negatively worded) item, as is common.'
    """
    kind_en = "a reverse-keyed (negatively worded) item, as is common" if reverse else "not a reverse-keyed item"
    kind_vi = "một câu mã hóa ngược (phát biểu phủ định), điều thường gặp" if reverse else "không phải câu mã hóa ngược"
    return bilingual(f"The weakest standardized loading is {num(value)} ({item}), {kind_en}.",
                     f"Hệ số tải chuẩn hóa thấp nhất là {num(value)} ({item}), {kind_vi}.")


def validity(cr_min: float, cr_ok: bool, n_ave_ok: int, n: int, ave_min: float, n_fl_ok: int, htmt_max: float,
             htmt_ok: bool) -> dict:
    """Summarise convergent and discriminant validity: CR, AVE, Fornell–Larcker and HTMT.

    Parameters
    ----------
    cr_min : float
        The smallest composite reliability.
    cr_ok : bool
        Whether every construct meets the CR criterion (.70).
    n_ave_ok : int
        Constructs whose AVE reaches .50.
    n : int
        Number of constructs.
    ave_min : float
        The smallest AVE.
    n_fl_ok : int
        Constructs meeting the Fornell–Larcker criterion.
    htmt_max : float
        The largest HTMT ratio.
    htmt_ok : bool
        Whether it lies below .85.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``; discriminant validity "holds" only when every
        construct meets Fornell–Larcker and HTMT is below its cut-off.

    Examples
    --------
    >>> validity(0.78, True, 6, 6, 0.52, 6, 0.71, True)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'Composite reliability is at least 0.78 for every construct (criterion .70). AVE reaches .50 for all 6
    constructs (smallest 0.52). Discriminant validity holds: the Fornell–Larcker criterion is met for 6 of 6
    constructs and the largest HTMT is 0.71 (below .85).'
    >>> validity(0.78, True, 0, 6, 0.41, 5, 0.88, False)["en"][:70]
    'Composite reliability is at least 0.78 for every construct (criterion '
    """
    if n_ave_ok == n:
        ave_en = f"AVE reaches .50 for all {n} constructs (smallest {num(ave_min)})."
        ave_vi = f"AVE đạt .50 ở cả {n} cấu trúc (nhỏ nhất {num(ave_min)})."
    elif n_ave_ok == 0:
        ave_en = (f"AVE reaches .50 for none of the {n} constructs (smallest {num(ave_min)}): "
                  "convergent validity rests on the loadings and CR rather than on AVE, a limitation the discussion "
                  "states.")
        ave_vi = (f"AVE không đạt .50 ở cấu trúc nào trong {n} cấu trúc (nhỏ nhất {num(ave_min)}): giá trị hội tụ dựa "
                  "vào hệ số tải và CR thay vì AVE.")
    else:
        ave_en = (f"AVE reaches .50 for {n_ave_ok} of the {n} constructs (smallest {num(ave_min)}): for the others "
                  "convergent validity rests on the loadings and CR rather than on AVE, a limitation the discussion "
                  "states.")
        ave_vi = (f"AVE đạt .50 ở {n_ave_ok} trong {n} cấu trúc (nhỏ nhất {num(ave_min)}): với các cấu trúc còn lại, "
                  "giá trị hội tụ dựa vào hệ số tải và CR thay vì AVE.")
    cr_en = (f"Composite reliability is at least {num(cr_min)} for every construct (criterion .70)." if cr_ok else
             f"Composite reliability falls to {num(cr_min)} (criterion .70).")
    cr_vi = (f"Độ tin cậy tổng hợp ít nhất {num(cr_min)} ở mọi cấu trúc (ngưỡng .70)." if cr_ok else
             f"Độ tin cậy tổng hợp thấp nhất {num(cr_min)} (ngưỡng .70).")
    disc = n_fl_ok == n and htmt_ok
    return bilingual(
        f"{cr_en} {ave_en} Discriminant validity {'holds' if disc else 'is not established for every pair'}: the "
        f"Fornell–Larcker criterion is met for {n_fl_ok} of {n} constructs and the largest HTMT is {num(htmt_max)} "
        f"({'below' if htmt_ok else 'above'} .85).",
        f"{cr_vi} {ave_vi} Giá trị phân biệt {'được bảo đảm' if disc else 'chưa được bảo đảm cho mọi cặp'}: tiêu chí "
        f"Fornell–Larcker đạt ở {n_fl_ok}/{n} cấu trúc và HTMT lớn nhất là {num(htmt_max)} "
        f"({'dưới' if htmt_ok else 'trên'} .85).")


def modification_indices(mi_max: float, param: str, n: int, critical: float, n_over: int,
                         n_complete: int | None = None) -> dict:
    """Report the largest modification index against the Bonferroni-adjusted critical value.

    Parameters
    ----------
    mi_max : float
        The largest modification index.
    param : str
        Its parameter, in lavaan syntax (``"A =~ B2"``).
    n : int
        Number of candidate parameters (the Bonferroni divisor).
    critical : float
        The adjusted critical value of chi-square with one df.
    n_over : int
        How many indices exceed it.
    n_complete : int, optional
        When given, the indices come from the CFA refitted to that many complete answers
        (a full-information ML fit has no modification indices), and the sentence says so.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> modification_indices(24.3, "A =~ B2", 120, 15.6, 2)["en"]
    'The largest index is 24.3 (A =~ B2); over 120 candidate parameters the Bonferroni-adjusted critical χ²(1) is 15.6, exceeded by 2 of them.'
    """
    basis = (f" The indices are score tests of the same CFA fitted to the {n_complete} respondents with complete "
             f"answers (full-information ML has none).") if n_complete is not None else ""
    basis_vi = (f" Các chỉ số là kiểm định điểm của cùng mô hình CFA ước lượng trên {n_complete} người trả lời đủ "
                f"mọi câu.") if n_complete is not None else ""
    return bilingual(f"The largest index is {mi_max:.1f} ({param}); over {n} candidate parameters the "
                     f"Bonferroni-adjusted critical χ²(1) is {critical:.1f}, exceeded by {n_over} of them.{basis}",
                     f"Chỉ số lớn nhất là {mi_max:.1f} ({param}); với {n} tham số ứng viên, giá trị tới hạn χ²(1) "
                     f"hiệu chỉnh Bonferroni là {critical:.1f}, có {n_over} chỉ số vượt.{basis_vi}")


def harman(first_share: float, dominates: bool, cfi: float, rmsea: float, n_constructs: int) -> dict:
    """Word Harman's single-factor check: the first component's share and the one-factor model's fit.

    Parameters
    ----------
    first_share : float
        Variance explained by the first principal component, in percent.
    dominates : bool
        The caller's verdict that a general factor may dominate the answers.
    cfi, rmsea : float
        Fit of the one-factor model.
    n_constructs : int
        Constructs of the model it is compared with.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> harman(27.4, False, 0.61, 0.12, 6)["en"][:80]
    "The first component explains 27.4 % of the variance (Harman's criterion: below 5"
    """
    return bilingual(
        f"The first component explains {first_share:.1f} % of the variance (Harman's criterion: below 50 %), and a "
        f"single factor {'fits about as well as' if dominates else 'fits far worse than'} the {n_constructs} "
        f"constructs (CFI = {cfi:.3f}, RMSEA = {rmsea:.3f}): "
        f"{'a general factor may dominate the answers' if dominates else 'no general factor dominates'}. Subtler "
        "method effects cannot be excluded by this check.",
        f"Thành phần thứ nhất giải thích {first_share:.1f} % phương sai (tiêu chí Harman: dưới 50 %), và mô hình một "
        f"nhân tố {'phù hợp gần bằng' if dominates else 'kém xa'} mô hình {n_constructs} cấu trúc (CFI = {cfi:.3f}, "
        f"RMSEA = {rmsea:.3f}): {'có thể có một nhân tố chung chi phối' if dominates else 'không có nhân tố chung chi phối'}.")


def ordinal(mean_diff: float, srmr: float, same_factor: bool) -> dict:
    """Compare the DWLS (polychoric) loadings with the ML ones: the ordinal sensitivity check.

    Parameters
    ----------
    mean_diff : float
        Mean of DWLS minus ML standardized loadings; NaN when the check was not run.
    srmr : float
        SRMR of the DWLS fit.
    same_factor : bool
        Whether every item's DWLS loading is at least .30.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> ordinal(0.04, 0.041, True)["en"]  # doctest: +NORMALIZE_WHITESPACE
    "On polychoric correlations the loadings are on average 0.04 higher than under ML, and SRMR = 0.041. Every
    item's DWLS loading is at least .30; the ML loadings are, if anything, conservative."
    >>> ordinal(float("nan"), float("nan"), False)["en"]
    'The ordinal sensitivity check was not run.'
    """
    if math.isnan(mean_diff):
        return bilingual("The ordinal sensitivity check was not run.", "Không chạy kiểm tra độ nhạy thứ bậc.")
    direction = "higher" if mean_diff > 0 else "lower"
    return bilingual(
        f"On polychoric correlations the loadings are on average {abs(mean_diff):.2f} {direction} than under ML, and "
        f"SRMR = {srmr:.3f}. "
        + ("Every item's DWLS loading is at least .30; the ML loadings are, if anything, conservative."
           if same_factor and mean_diff > 0 else
           "Every item's DWLS loading is at least .30." if same_factor else
           "Some DWLS loadings fall below .30."),
        f"Trên tương quan polychoric, hệ số tải trung bình {'cao' if mean_diff > 0 else 'thấp'} hơn ML "
        f"{abs(mean_diff):.2f}, SRMR = {srmr:.3f}.")


def ordinal_fit(n: int, fm, converged: bool) -> dict:
    """Report the WLSMV CFA's scaled-shifted test and scaled fit indices.

    Parameters
    ----------
    n : int
        Respondents with complete answers, whom the fit uses.
    fm : mapping
        The fit's measures: ``df, chisq.scaled, cfi.scaled, tli.scaled, rmsea.scaled, srmr``.
    converged : bool
        Whether the fit converged; if not, the sentence says so and reports no fit.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> fm = {"df": 419, "chisq.scaled": 530.2, "cfi.scaled": 0.991, "tli.scaled": 0.990,
    ...       "rmsea.scaled": 0.024, "srmr": 0.041}
    >>> ordinal_fit(455, fm, True)["en"][:75]
    'Treating the answers as ordered categories (WLSMV on the 455 complete respo'
    >>> ordinal_fit(455, fm, False)["en"]
    'The ordinal (WLSMV) CFA did not converge; its fit is not reported.'
    """
    if not converged:
        return bilingual("The ordinal (WLSMV) CFA did not converge; its fit is not reported.",
                         "CFA thứ bậc (WLSMV) không hội tụ; không báo cáo độ phù hợp.")
    return bilingual(
        f"Treating the answers as ordered categories (WLSMV on the {n} complete respondents): scaled-shifted "
        f"χ²({fm['df']:.0f}) = {fm['chisq.scaled']:.1f}, CFI = {fm['cfi.scaled']:.3f}, TLI = {fm['tli.scaled']:.3f}, "
        f"RMSEA = {fm['rmsea.scaled']:.3f}, SRMR = {fm['srmr']:.3f}.",
        f"Coi câu trả lời là thang thứ bậc (WLSMV trên {n} người trả lời đủ): χ² hiệu chỉnh ({fm['df']:.0f}) = "
        f"{fm['chisq.scaled']:.1f}, CFI = {fm['cfi.scaled']:.3f}, TLI = {fm['tli.scaled']:.3f}, "
        f"RMSEA = {fm['rmsea.scaled']:.3f}, SRMR = {fm['srmr']:.3f}.")
