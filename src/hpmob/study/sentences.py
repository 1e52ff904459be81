"""Every sentence that states a result, in English and Vietnamese, generated from verdicts.

The notebooks and the book never type a result into prose: they glue these sentences.
Each function takes the numbers and verdicts a step computed and returns
``{"en": ..., "vi": ...}``; a sentence cannot say what its numbers contradict because it
is built from them.
"""

from __future__ import annotations

import math

__all__ = ["bilingual", "verdict_word"]

_VERDICT_VI = {"supported": "được ủng hộ", "not supported": "không được ủng hộ",
               "not testable with these data": "không kiểm định được với dữ liệu này",
               "not estimable": "không ước lượng được"}


def bilingual(en: str, vi: str) -> dict:
    """Pair an English and a Vietnamese sentence in the form every sentence function returns.

    Parameters
    ----------
    en : str
        The English sentence.
    vi : str
        The Vietnamese sentence.

    Returns
    -------
    dict
        ``{"en": en, "vi": vi}``.

    Examples
    --------
    >>> bilingual("Nothing to report.", "Không có gì để báo cáo.")
    {'en': 'Nothing to report.', 'vi': 'Không có gì để báo cáo.'}
    """
    return {"en": en, "vi": vi}


def verdict_word(verdict: str, lang: str = "en") -> str:
    """Translate a verdict into ``lang`` (``supported`` → ``được ủng hộ``).

    Parameters
    ----------
    verdict : str
        A verdict: ``supported``, ``not supported``, ``not testable with these data`` or
        ``not estimable``.
    lang : {"en", "vi"}
        The language; any other verdict is returned unchanged in Vietnamese too.

    Returns
    -------
    str
        The verdict in that language.

    Examples
    --------
    >>> verdict_word("not supported", "vi")
    'không được ủng hộ'
    """
    return verdict if lang == "en" else _VERDICT_VI.get(verdict, verdict)


def _f(x: float, nd: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def _d(x: float, nd: int = 3) -> str:
    """A difference to ``nd`` places; one that rounds to zero is 0, never "-0.000"."""
    text = f"{x:.{nd}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _ordering(order, ordered: bool) -> tuple[str, str]:
    """The clause on a claimed group order ("The ordering a < b < c holds in the estimates."), EN and VI."""
    if not order:
        return "", ""
    chain = " < ".join(order)
    return (f" The ordering {chain} {'holds' if ordered else 'does not hold'} in the estimates.",
            f" Thứ tự {chain} {'đúng' if ordered else 'không đúng'} theo ước lượng.")


def _list(xs) -> str:
    return ", ".join(xs) if xs else "none"


def _list_vi(xs) -> str:
    return ", ".join(xs) if xs else "không có"


# --- descriptives -----------------------------------------------------------------------
def alpha_range(lo: float, hi: float, n: int) -> dict:
    """State the range of Cronbach's alpha over the reflective constructs.

    Parameters
    ----------
    lo, hi : float
        The smallest and the largest alpha (printed to two decimals; NaN as "—").
    n : int
        Number of reflective constructs.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> alpha_range(0.712, 0.884, 5)["en"]
    "Cronbach's alpha ranges from 0.71 to 0.88 across the 5 reflective constructs."
    """
    return bilingual(f"Cronbach's alpha ranges from {_f(lo)} to {_f(hi)} across the {n} reflective constructs.",
                     f"Hệ số Cronbach's alpha nằm trong khoảng {_f(lo)} đến {_f(hi)} trên {n} cấu trúc phản ánh.")


def reverse_items_item_rest(reverse: list[str], lowest: list[str]) -> dict:
    """Say whether the reverse-keyed items have the lowest item–rest correlation of their construct.

    Parameters
    ----------
    reverse : list of str
        The reverse-keyed items of the reflective constructs.
    lowest : list of str
        For each construct, the item with the lowest item–rest (corrected item–total) correlation.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``: no reverse-keyed item, all of them lowest,
        or how many (and which) are.

    Examples
    --------
    >>> reverse_items_item_rest(["A3", "B2"], ["A3", "B4"])["en"]
    'Of the reverse-keyed items (A3, B2), 1 carry the lowest item–rest correlation of their construct (A3).'
    """
    if not reverse:
        return bilingual("No item is reverse-keyed.", "Không có câu hỏi nào được mã hóa ngược.")
    low = [i for i in reverse if i in lowest]
    if len(low) == len(reverse):
        return bilingual(f"The reverse-keyed items ({_list(reverse)}) carry the lowest item–rest correlation of their "
                         "constructs, as negatively worded items usually do.",
                         f"Các câu hỏi mã hóa ngược ({_list(reverse)}) có tương quan biến–tổng thấp nhất trong cấu "
                         "trúc của chúng, như thường gặp ở câu hỏi phát biểu phủ định.")
    return bilingual(f"Of the reverse-keyed items ({_list(reverse)}), {len(low)} carry the lowest item–rest "
                     f"correlation of their construct ({_list(low)}).",
                     f"Trong các câu hỏi mã hóa ngược ({_list(reverse)}), {len(low)} câu có tương quan biến–tổng "
                     f"thấp nhất trong cấu trúc của mình ({_list_vi(low)}).")


def group_means(construct: str, means: dict) -> dict:
    """List a construct's observed composite mean in each group, with the caveat on observed means.

    Parameters
    ----------
    construct : str
        The construct's code.
    means : dict
        Group label to composite mean, in the order to print.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> group_means("A", {"north": 3.41, "south": 3.12})["en"][:60]
    'The composite mean of A by group: north 3.41; south 3.12. Ob'
    """
    parts = "; ".join(f"{g} {_f(m)}" for g, m in means.items())
    return bilingual(f"The composite mean of {construct} by group: {parts}. Observed means mix true differences "
                     "with any measurement non-invariance; latent means are compared only after testing invariance.",
                     f"Điểm trung bình tổng hợp của {construct} theo nhóm: {parts}. Điểm quan sát gộp cả khác biệt "
                     "thật và sai lệch đo lường; trung bình tiềm ẩn chỉ được so sánh sau khi kiểm định tính bất biến.")


def share_verdict(label: str, construct: str, verdict: str, share: float, lo: float, hi: float, threshold: float,
                  item_min: float) -> dict:
    """State a share-above-threshold verdict with the agreement share, its interval and the threshold.

    Parameters
    ----------
    label : str
        The hypothesis label (``H1``).
    construct : str
        The construct whose items are counted.
    verdict : str
        The verdict (:func:`verdict_word` translates it).
    share, lo, hi : float
        Mean share of respondents agreeing with the items and its confidence interval, in percent;
        a NaN share means the codebook has no item of ``construct``.
    threshold : float
        The claimed threshold, in percent.
    item_min : float
        The lowest single-item share, in percent.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> share_verdict("H1", "A", "supported", 72.4, 68.1, 76.3, 60, 55.0)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'H1 verdict: supported. 72.4 % of respondents agree on average with the A items (95 % CI 68.1–76.3 %), against
    the threshold of 60 %; single items range upwards from 55.0 %.'
    >>> share_verdict("H1", "A", "not testable with these data", float("nan"), 0, 0, 60, 0)["en"]
    'H1 verdict: not testable with these data. The codebook has no A items.'
    """
    if math.isnan(share):
        return bilingual(f"{label} verdict: {verdict}. The codebook has no {construct} items.",
                         f"Kết luận {label}: {verdict_word(verdict, 'vi')}. Bảng mã không có câu hỏi {construct}.")
    return bilingual(
        f"{label} verdict: {verdict}. {_f(share, 1)} % of respondents agree on average with the {construct} items "
        f"(95 % CI {_f(lo, 1)}–{_f(hi, 1)} %), against the threshold of {threshold:.0f} %; single items range "
        f"upwards from {_f(item_min, 1)} %.",
        f"Kết luận {label}: {verdict_word(verdict, 'vi')}. {_f(share, 1)} % người trả lời đồng ý trung bình với các câu "
        f"{construct} (KTC 95 % {_f(lo, 1)}–{_f(hi, 1)} %), so với ngưỡng {threshold:.0f} %; từng câu thấp nhất là "
        f"{_f(item_min, 1)} %.")


# --- measurement ------------------------------------------------------------------------
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
        f"KMO = {_f(kmo)} and Bartlett's χ²({df}) = {chisq:.0f}: the correlations are "
        f"{'well suited' if suited else 'not clearly suited'} to factoring. Parallel analysis on common-factor "
        f"eigenvalues retains {n_factors} factors (the figure), on principal components {n_components}, "
        f"against {n_constructs} constructs in the instrument.",
        f"KMO = {_f(kmo)} và kiểm định Bartlett χ²({df}) = {chisq:.0f}: ma trận tương quan "
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
    return bilingual(f"The weakest standardized loading is {_f(value)} ({item}), {kind_en}.",
                     f"Hệ số tải chuẩn hóa thấp nhất là {_f(value)} ({item}), {kind_vi}.")


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
        ave_en = f"AVE reaches .50 for all {n} constructs (smallest {_f(ave_min)})."
        ave_vi = f"AVE đạt .50 ở cả {n} cấu trúc (nhỏ nhất {_f(ave_min)})."
    elif n_ave_ok == 0:
        ave_en = (f"AVE reaches .50 for none of the {n} constructs (smallest {_f(ave_min)}): "
                  "convergent validity rests on the loadings and CR rather than on AVE, a limitation the discussion "
                  "states.")
        ave_vi = (f"AVE không đạt .50 ở cấu trúc nào trong {n} cấu trúc (nhỏ nhất {_f(ave_min)}): giá trị hội tụ dựa "
                  "vào hệ số tải và CR thay vì AVE.")
    else:
        ave_en = (f"AVE reaches .50 for {n_ave_ok} of the {n} constructs (smallest {_f(ave_min)}): for the others "
                  "convergent validity rests on the loadings and CR rather than on AVE, a limitation the discussion "
                  "states.")
        ave_vi = (f"AVE đạt .50 ở {n_ave_ok} trong {n} cấu trúc (nhỏ nhất {_f(ave_min)}): với các cấu trúc còn lại, "
                  "giá trị hội tụ dựa vào hệ số tải và CR thay vì AVE.")
    cr_en = (f"Composite reliability is at least {_f(cr_min)} for every construct (criterion .70)." if cr_ok else
             f"Composite reliability falls to {_f(cr_min)} (criterion .70).")
    cr_vi = (f"Độ tin cậy tổng hợp ít nhất {_f(cr_min)} ở mọi cấu trúc (ngưỡng .70)." if cr_ok else
             f"Độ tin cậy tổng hợp thấp nhất {_f(cr_min)} (ngưỡng .70).")
    disc = n_fl_ok == n and htmt_ok
    return bilingual(
        f"{cr_en} {ave_en} Discriminant validity {'holds' if disc else 'is not established for every pair'}: the "
        f"Fornell–Larcker criterion is met for {n_fl_ok} of {n} constructs and the largest HTMT is {_f(htmt_max)} "
        f"({'below' if htmt_ok else 'above'} .85).",
        f"{cr_vi} {ave_vi} Giá trị phân biệt {'được bảo đảm' if disc else 'chưa được bảo đảm cho mọi cặp'}: tiêu chí "
        f"Fornell–Larcker đạt ở {n_fl_ok}/{n} cấu trúc và HTMT lớn nhất là {_f(htmt_max)} "
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


# --- invariance -------------------------------------------------------------------------
def invariance_sequence(decisions: dict, deltas: dict) -> dict:
    """Give one clause per tested level: whether its invariance holds, with ΔCFI and ΔRMSEA.

    Parameters
    ----------
    decisions : dict
        Level (``metric``, ``scalar``, ...) to its decision (``"invariant"`` or another word),
        in the order tested.
    deltas : dict
        Level to ``(delta_cfi, delta_rmsea)`` against the level before.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``; levels other than metric and thresholds are
        called "full".

    Examples
    --------
    >>> invariance_sequence({"metric": "invariant", "scalar": "not invariant"},
    ...                     {"metric": (-0.002, 0.001), "scalar": (-0.021, 0.012)})["en"]
    'Metric invariance holds (ΔCFI = -0.002, ΔRMSEA = 0.001); full scalar invariance does not hold (ΔCFI = -0.021, ΔRMSEA = 0.012).'
    """
    en, vi = [], []
    for level, decision in decisions.items():
        d_cfi, d_rmsea = deltas[level]
        holds = decision == "invariant"
        en.append(f"{'full ' if level not in ('metric', 'thresholds') else ''}{level} invariance {'holds' if holds else 'does not hold'} "
                  f"(ΔCFI = {_d(d_cfi)}, ΔRMSEA = {_d(d_rmsea)})")
        vi.append(f"bất biến {level} {'đạt' if holds else 'không đạt'} (ΔCFI = {_d(d_cfi)}, ΔRMSEA = {_d(d_rmsea)})")
    first_en = "; ".join(en)
    return bilingual(first_en[0].upper() + first_en[1:] + ".", "; ".join(vi).capitalize() + ".")


def partial_search(top_param: str, top_x2: float, top_group: str, freed: list[str], holds: bool, level: str,
                   full_holds: bool) -> dict:
    """Word the partial-invariance search: the largest score test and what the search released.

    Parameters
    ----------
    top_param : str
        The constraint with the largest score test in the full model.
    top_x2 : float
        That score test's chi-square (1 df).
    top_group : str
        The group it concerns.
    freed : list of str
        Constraints the search released.
    holds : bool
        Whether partial invariance holds after the release.
    level : str
        The level searched (``scalar``).
    full_holds : bool
        Whether full invariance held, so that nothing was released.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> partial_search("A3~1", 18.2, "south", ["A3~1"], True, "scalar", False)["en"][:90]
    "The largest score test among the scalar model's intercept constraints belongs to A3~1 (χ²("
    """
    if full_holds:
        return bilingual(
            f"Full {level} invariance holds, so no constraint had to be released; the largest score test among the "
            f"{level} model's intercept constraints belongs to {top_param} (χ²(1) = {top_x2:.1f}, {top_group} group). "
            f"Latent means are compared under full {level} invariance.",
            f"Bất biến {level} toàn phần đạt, không cần nới ràng buộc nào; so sánh trung bình tiềm ẩn dưới bất biến "
            f"{level} toàn phần.")
    state = "holds" if holds else "does not hold"
    return bilingual(
        f"The largest score test among the {level} model's intercept constraints belongs to {top_param} "
        f"(χ²(1) = {top_x2:.1f}, {top_group} group). Released by the search: {_list(freed)}; partial {level} "
        f"invariance then {state}. Latent means are compared below with {_list(freed)} free.",
        f"Kiểm định score lớn nhất thuộc về {top_param} (χ²(1) = {top_x2:.1f}, nhóm {top_group}). Tham số được nới: "
        f"{_list_vi(freed)}; bất biến {level} từng phần {'đạt' if holds else 'không đạt'}.")


def latent_mean_verdict(label: str, construct: str, verdict: str, rows: dict, contrast, order, ordered) -> dict:
    """State a latent-mean hypothesis's verdict with every group's difference from the reference.

    Parameters
    ----------
    label : str
        The hypothesis label.
    construct : str
        The construct compared.
    verdict : str
        The verdict.
    rows : dict
        Group to ``(est, lo, hi, d)``: latent mean difference from the reference, its 95 %
        interval and the difference in latent SD.
    contrast : tuple of str
        ``(group, reference)``: the contrast the hypothesis claims.
    order : sequence of str or None
        A claimed order of the groups, or None.
    ordered : bool or None
        Whether the estimates follow ``order``.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> rows = {"b": (-0.21, -0.35, -0.07, -0.4), "c": (-0.30, -0.46, -0.14, -0.6)}
    >>> latent_mean_verdict("H6", "A", "supported", rows, ("c", "a"), ["c", "b", "a"], True)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'H6 verdict: supported. Relative to a, the latent mean of A is b -0.21 (95 % CI -0.35 to -0.07); c -0.30 (95 %
    CI -0.46 to -0.14); the c − a interval excludes zero (-0.60 latent SD). The ordering c < b < a holds in the
    estimates.'
    """
    g, ref = contrast
    parts = "; ".join(f"{grp} {_f(e)} (95 % CI {_f(lo)} to {_f(hi)})" for grp, (e, lo, hi, _) in rows.items())
    parts_vi = "; ".join(f"{grp} {_f(e)} (KTC 95 % {_f(lo)} đến {_f(hi)})" for grp, (e, lo, hi, _) in rows.items())
    e, lo, hi, d = rows[g]
    side = "excludes" if (lo > 0 or hi < 0) else "includes"
    extra_en, extra_vi = _ordering(order, ordered)
    return bilingual(
        f"{label} verdict: {verdict}. Relative to {ref}, the latent mean of {construct} is {parts}; the "
        f"{g} − {ref} interval {side} zero ({_f(d)} latent SD).{extra_en}",
        f"Kết luận {label}: {verdict_word(verdict, 'vi')}. So với {ref}, trung bình tiềm ẩn của {construct} là "
        f"{parts_vi}; khoảng {g} − {ref} {'không chứa' if side == 'excludes' else 'chứa'} 0.{extra_vi}")


def latent_contrasts(construct: str, ref: str, rows: dict) -> dict:
    """Say which groups differ from the reference on a construct compared without a hypothesis of its own.

    Parameters
    ----------
    construct : str
        The construct.
    ref : str
        The reference group.
    rows : dict
        Group to ``(est, lo, hi, d)`` as in :func:`latent_mean_verdict`; a group is "higher"
        or "lower" when its interval excludes zero.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> latent_contrasts("A", "a", {"b": (0.2, 0.05, 0.35, 0.3), "c": (-0.1, -0.3, 0.1, -0.1)})["en"]
    'A relative to a: b higher (0.20, 0.05 to 0.35); c not clearly different (-0.10, -0.30 to 0.10).'
    """
    en = []
    vi = []
    for grp, (e, lo, hi, _) in rows.items():
        word = "higher" if lo > 0 else "lower" if hi < 0 else "not clearly different"
        wvi = "cao hơn" if lo > 0 else "thấp hơn" if hi < 0 else "không khác biệt rõ"
        en.append(f"{grp} {word} ({_f(e)}, {_f(lo)} to {_f(hi)})")
        vi.append(f"{grp} {wvi} ({_f(e)}, {_f(lo)} đến {_f(hi)})")
    return bilingual(f"{construct} relative to {ref}: {'; '.join(en)}.",
                     f"{construct} so với {ref}: {'; '.join(vi)}.")


_FLOW_WORDS = {
    "duplicate": ("{} duplicate submissions", "{} phiếu nộp trùng"),
    "item_nonresponse": ("{} with too many unanswered items", "{} phiếu bỏ trống quá nhiều câu"),
    "speeder": ("{} speeders", "{} phiếu trả lời quá nhanh"),
    "straight_liner": ("{} straight-liners", "{} phiếu chọn một đáp án cho mọi câu"),
    "impossible_value": ("{} with impossible values", "{} phiếu có giá trị không hợp lý"),
    "no_group_value": ("{} without a value of the grouping variable ({var})", "{} phiếu không có giá trị của biến nhóm ({var})"),
}


def cleaning_flow(flow, n_raw: int, min_cell: int, group: str | None = None) -> dict:
    """Put the cleaning flow into words, from the published (suppressed) flow table.

    Parameters
    ----------
    flow : DataFrame
        The flow table: ``rule, n_excluded, n_remaining, suppressed``, the raw count first and
        the analysed count last; rules without wording here (merges) are skipped.
    n_raw : int
        Raw submissions.
    min_cell : int
        The smallest count published (the note on suppressed counts cites it).
    group : str, optional
        The grouping variable, named by the rule that drops rows without its value.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``, plain text (it is glued as text).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"rule": ["raw submissions", "speeder", "analysed"], "n_excluded": [0, 10, 10],
    ...                   "n_remaining": [100, 90, 90], "suppressed": [False, False, False]})
    >>> cleaning_flow(f, 100, 5)["en"]
    'Of 100 raw submissions, 10 (10.0 %) were excluded and 90 respondents are analysed: 10 speeders.'
    """
    n = int(flow["n_remaining"].iloc[-1])
    en, vi = [], []
    for row in flow.iloc[1:-1].itertuples():
        if row.rule not in _FLOW_WORDS:  # merges exclude no one
            continue
        w_en, w_vi = _FLOW_WORDS[row.rule]
        if row.suppressed:
            en.append(w_en.format("a suppressed number", var=group))
            vi.append(w_vi.format("", var=group).strip() + " (số bị ẩn)")
        else:
            en.append(w_en.format(int(row.n_excluded), var=group))
            vi.append(w_vi.format(int(row.n_excluded), var=group))
    note_en = note_vi = ""
    if flow["suppressed"].any():
        note_en = (f" Exclusion counts under {min_cell} are suppressed in the flow, with the smallest other count "
                   "and the numbers remaining between them, so that none follows from the totals.")
        note_vi = (f" Các số loại dưới {min_cell} được ẩn trong sơ đồ, cùng với số nhỏ nhất khác và số còn lại "
                   "giữa chúng, để không số nào suy ra được từ các tổng.")
    pct = 100 * (n_raw - n) / n_raw if n_raw else float("nan")
    # plain text: the sentence is glued as text (no Markdown inside it)
    return bilingual(f"Of {n_raw} raw submissions, {n_raw - n} ({pct:.1f} %) were excluded and {n} respondents "
                     f"are analysed{': ' * bool(en)}{', '.join(en)}.{note_en}",
                     f"Trong {n_raw} phiếu thu về, {n_raw - n} phiếu ({pct:.1f} %) bị loại và {n} người trả lời "
                     f"được phân tích{': ' * bool(vi)}{', '.join(vi)}.{note_vi}")


def _treatment(missing: str) -> tuple[str, str]:
    """Who a model uses, in words, under the missing-data treatment ``missing``."""
    if missing == "ml":
        return ("with at least one answer on its items (full-information ML: incomplete answers are used, "
                "not dropped)", "có ít nhất một câu trả lời (ML thông tin đầy đủ: không loại câu trả lời thiếu)")
    return "who answered every one of its variables (listwise deletion)", "trả lời đủ mọi biến (loại theo danh sách)"


def model_n(model_en: str, model_vi: str, n: int, n_all: int, missing: str) -> dict:
    """Say how many respondents a model used, and which, under the missing-data treatment.

    Parameters
    ----------
    model_en, model_vi : str
        The model's name in each language, capitalised (it starts the sentence).
    n : int
        Respondents the model used.
    n_all : int
        Respondents analysed.
    missing : {"listwise", "ml"}
        The missing-data treatment.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> model_n("The CFA", "Mô hình CFA", 380, 400, "ml")["en"][:50]
    'The CFA uses 380 of the 400 analysed respondents: '
    """
    who, who_vi = _treatment(missing)
    return bilingual(f"{model_en} uses {n} of the {n_all} analysed respondents: those {who}.",
                     f"{model_vi} dùng {n} trên {n_all} người trả lời được phân tích: những người {who_vi}.")


def group_sizes(n: int, counts: dict, missing: str = "listwise") -> dict:
    """Say how many respondents the invariance models use, per group.

    Parameters
    ----------
    n : int
        Respondents used.
    counts : dict
        Group label to its count.
    missing : {"listwise", "ml"}
        The missing-data treatment, which decides who is used.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> group_sizes(380, {"a": 200, "b": 180})["en"]
    'The invariance models use the 380 respondents with a known group who answered every item of the compared constructs (200 a, 180 b).'
    """
    parts = ", ".join(f"{int(k)} {g}" for g, k in counts.items())
    if missing == "ml":
        return bilingual(f"The invariance models use the {n} respondents with a known group and at least one answer "
                         f"on the compared constructs' items ({parts}); full-information ML uses incomplete answers "
                         f"instead of dropping them.",
                         f"Các mô hình bất biến dùng {n} người trả lời có nhóm xác định và trả lời ít nhất một câu của "
                         f"các cấu trúc được so sánh ({parts}); ML thông tin đầy đủ dùng cả câu trả lời thiếu.")
    return bilingual(f"The invariance models use the {n} respondents with a known group who answered every item of "
                     f"the compared constructs ({parts}).",
                     f"Các mô hình bất biến dùng {n} người trả lời có nhóm xác định và trả lời đủ mọi câu của các cấu "
                     f"trúc được so sánh ({parts}).")


def welch(n_sig: int, n_tests: int) -> dict:
    """Report how many Welch tests remain significant after Holm's adjustment.

    Parameters
    ----------
    n_sig : int
        Tests significant after the adjustment.
    n_tests : int
        Tests run.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> welch(3, 8)["en"]
    "Of the 8 Welch tests, 3 remain significant after Holm's adjustment."
    """
    return bilingual(f"Of the {n_tests} Welch tests, {n_sig} remain significant after Holm's adjustment.",
                     f"Trong {n_tests} kiểm định Welch, {n_sig} còn có ý nghĩa sau hiệu chỉnh Holm.")


# --- structural -------------------------------------------------------------------------
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
        Unstandardized estimate and its 95 % interval; the interval decides "raises", "lowers"
        or "no effect distinguishable from zero".

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> path_verdict("H2", "Y", "X", "+", "supported", 0.31, 0.18, 0.44, 0.42, 0.24, 0.60)["en"]
    'H2, supported: X raises Y (standardized 0.31, 95 % CI 0.18 to 0.44; unstandardized 0.42, 0.24 to 0.60; claimed sign +).'
    """
    (lhs_en, lhs_vi), (rhs_en, rhs_vi) = ((v.get("en"), v.get("vi")) if isinstance(v, dict) else (v, v)
                                          for v in (lhs, rhs))
    if verdict.startswith("not testable"):
        return bilingual(f"{label} ({rhs_en} → {lhs_en}): not testable with these data.",
                         f"{label} ({rhs_vi} → {lhs_vi}): không kiểm định được với dữ liệu này.")
    if lo > 0:
        how, how_vi = "raises", "làm tăng"
    elif hi < 0:
        how, how_vi = "lowers", "làm giảm"
    else:
        how, how_vi = "has no effect distinguishable from zero on", "không có tác động phân biệt được với 0 lên"
    return bilingual(
        f"{label}, {verdict}: {rhs_en} {how} {lhs_en} (standardized {_f(std)}, 95 % CI {_f(std_lo)} to "
        f"{_f(std_hi)}; unstandardized {_f(est)}, {_f(lo)} to {_f(hi)}; claimed sign {sign}).",
        f"{label}, {verdict_word(verdict, 'vi')}: {rhs_vi} {how_vi} {lhs_vi} (chuẩn hóa {_f(std)}, KTC 95 % {_f(std_lo)} "
        f"đến {_f(std_hi)}; chưa chuẩn hóa {_f(est)}, {_f(lo)} đến {_f(hi)}; dấu kỳ vọng {sign}).")


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
    who, who_vi = _treatment(missing)
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
    parts = ", ".join(f"{_f(v)} of the variance of {k}" for k, v in values.items())
    parts_vi = ", ".join(f"{_f(v)} phương sai của {k}" for k, v in values.items())
    return bilingual(f"The model explains {parts}.", f"Mô hình giải thích {parts_vi}.")


# --- claims -----------------------------------------------------------------------------
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


# --- multiverse ----------------------------------------------------------------------------
def multiverse_grid(grid: str, n_specs: int, choices: str, seconds_per_spec: float, n_jobs: int | None = None) -> dict:
    """Describe the grid of analytic choices the robustness chapter shows.

    Parameters
    ----------
    grid : str
        ``"full grid"`` or another word for the grid's named points.
    n_specs : int
        Specifications run.
    choices : str
        The choices varied, joined for print.
    seconds_per_spec : float
        Elapsed time per specification, in seconds.
    n_jobs : int, optional
        Worker processes the grid ran on (said with the elapsed time).

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> multiverse_grid("named points", 4, "estimator, straight_liners", 2.5)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'This chapter shows the named points of the grid of `variants.yaml`: 4 specifications over the choices
    estimator, straight_liners (`make multiverse` builds and shows the full grid); each took 2.5 s of
    computation.'
    """
    full = grid == "full grid"
    where = (f"the grid ran in {seconds_per_spec * n_specs:.0f} s on {n_jobs} worker process"
             f"{'es' if n_jobs != 1 else ''} ({seconds_per_spec:.1f} s of elapsed time per specification)"
             if n_jobs else f"each took {seconds_per_spec:.1f} s of computation")
    return bilingual(
        f"This chapter shows the {'full grid' if full else 'named points of the grid'} of `variants.yaml`: "
        f"{n_specs} specifications over the choices {choices}"
        + ("" if full else " (`make multiverse` builds and shows the full grid)")
        + f"; {where}.",
        f"Chương này trình bày {'toàn bộ lưới' if full else 'các điểm có tên của lưới'} trong `variants.yaml`: "
        f"{n_specs} đặc tả theo các lựa chọn {choices}.")


def multiverse_fragility(n_claims: int, fragile: list[str], flips: dict[str, str]) -> dict:
    """Say which judged claims change verdict across specifications, and under which choice.

    Parameters
    ----------
    n_claims : int
        Claims judged in every specification.
    fragile : list of str
        Claims whose verdict depends on the specification.
    flips : dict
        Claim to a clause from :func:`multiverse_flip` (optional per claim).

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> multiverse_fragility(7, [], {})["en"]
    'Every one of the 7 judged claims has the same verdict under every specification.'
    >>> multiverse_fragility(7, ["H5"], {"H5": "straight_liners: 0/2 supported with kept"})["en"]  # doctest: +NORMALIZE_WHITESPACE
    '1 of the 7 judged claims are fragile, their verdict depending on the specification: H5 (straight_liners: 0/2
    supported with kept). The others have the same verdict under every specification.'
    """
    if not fragile:
        return bilingual(f"Every one of the {n_claims} judged claims has the same verdict under every specification.",
                         f"Cả {n_claims} nhận định có cùng kết luận dưới mọi đặc tả.")
    parts = "; ".join(f"{c} ({flips[c]})" if flips.get(c) else c for c in fragile)
    return bilingual(
        f"{len(fragile)} of the {n_claims} judged claims are fragile, their verdict depending on the "
        f"specification: {parts}. The others have the same verdict under every specification.",
        f"{len(fragile)} trong {n_claims} nhận định phụ thuộc vào đặc tả: {parts}.")


def multiverse_flip(choice: str, level_shares: dict[str, tuple[int, int]]) -> str:
    """Give the share of specifications supporting a claim under each level of one choice.

    Parameters
    ----------
    choice : str
        The analytic choice.
    level_shares : dict
        Level to ``(n_supported, n)``.

    Returns
    -------
    str
        ``"choice: k/n supported with level, ..."`` (one clause, English only: it is part of
        :func:`multiverse_fragility`'s sentence).

    Examples
    --------
    >>> multiverse_flip("straight_liners", {"kept": (0, 24), "excluded": (24, 24)})
    'straight_liners: 0/24 supported with kept, 24/24 supported with excluded'
    """
    return f"{choice}: " + ", ".join(f"{k}/{n} supported with {lv}" for lv, (k, n) in level_shares.items())


def multiverse_joint_status(n_null: int | None, n_claims: int, grid: str) -> dict:
    """Whether this edition ran the joint tests, on which grid, and the Monte Carlo error of their p-values.

    Parameters
    ----------
    n_null : int or None
        Null draws per joint test; None when the joint tests were not run.
    n_claims : int
        Path claims tested.
    grid : str
        The grid they ran on (e.g. "full grid", "named points").

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> multiverse_joint_status(None, 0, "named points")["en"][:46]
    'This edition of the book was built without the'
    >>> multiverse_joint_status(100, 6, "full grid")["en"][:60]
    'The joint tests were run on the full grid for 6 path claims,'
    """
    if n_null is None:
        return bilingual(f"This edition of the book was built without the joint tests (the {grid} of the grid only); "
                         "`make multiverse` runs them on the full grid.",
                         f"Bản này không chạy kiểm định đồng thời ({grid}); `make multiverse` chạy chúng trên toàn bộ lưới.")
    se = math.sqrt(0.05 * 0.95 / n_null)
    return bilingual(
        f"The joint tests were run on the {grid} for {n_claims} path claims, with {n_null} bootstrap draws under "
        f"the null each: the smallest attainable p-value is {1 / (1 + n_null):.3f}, and a p-value near .05 has a "
        f"Monte Carlo standard error of {se:.3f}.",
        f"Kiểm định đồng thời được chạy trên {grid} cho {n_claims} đường dẫn, mỗi đường {n_null} mẫu bootstrap dưới "
        f"giả thuyết không: p nhỏ nhất có thể là {1 / (1 + n_null):.3f}.")


def joint_test(label: str, n_specs: int, rows: dict[str, tuple[float, float, float]], n_null: int,
               alpha: float = 0.05) -> dict:
    """Word the joint test of a claim's specification curve against the bootstrap null.

    The median estimate is given in its own sign. A p-value within two Monte Carlo SEs of
    ``alpha`` is named: its side of ``alpha`` is not settled by ``n_null`` draws.

    Parameters
    ----------
    label : str
        The claim.
    n_specs : int
        Distinct specifications.
    rows : dict
        Summary statistic to ``(observed, p, mc_se)``: its value, its p-value and that
        p-value's Monte Carlo standard error.
    n_null : int
        Bootstrap draws under the null.
    alpha : float
        Level at which a summary counts as more extreme than chance.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> s = joint_test("H4", 24, {"median estimate": (-0.256, 0.050, 0.022)}, 100)["en"]
    >>> "median estimate −0.256 (p = 0.050 ± 0.022)" in s, "more than 100 null draws" in s
    (True, True)
    """
    fmt = {"median estimate": "{:.3f}", "share significant": "{:.2f}", "Stouffer Z": "{:.1f}"}
    # a minus sign, as the tables print it, not a hyphen
    parts = ", ".join(f"{s} {fmt.get(s, '{:.3g}').format(o).replace('-', '−')} (p = {p:.3f} ± {se:.3f})"
                      for s, (o, p, se) in rows.items())
    verdict = "more extreme than chance" if all(p <= alpha for _, p, _ in rows.values()) else \
        ("more extreme than chance on some summaries" if any(p <= alpha for _, p, _ in rows.values())
         else "not more extreme than chance")
    near = [s for s, (_, p, se) in rows.items() if abs(p - alpha) <= 2 * se]
    names = [f"the {s}" if s != "Stouffer Z" else s for s in near]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""
    caveat = (f" The p-value{'s' if len(near) > 1 else ''} of {listed} lie{'' if len(near) > 1 else 's'} within two "
              f"Monte Carlo SEs of {alpha:g}: more than {n_null} null draws would be needed to settle "
              f"{'their' if len(near) > 1 else 'its'} side of the threshold.") if near else ""
    return bilingual(
        f"{label}: over {n_specs} distinct specifications the curve is {verdict} in the claimed direction — "
        f"{parts}.{caveat}",
        f"{label}: trên {n_specs} đặc tả, đường cong {'khác ngẫu nhiên' if 'not' not in verdict else 'không khác ngẫu nhiên'} "
        f"— {parts}.")


# --- ordinal invariance -----------------------------------------------------------------
def ordinal_sample(n: int, n_all: int, counts: dict) -> dict:
    """Say who the ordinal (WLSMV) invariance models use: complete answers only.

    Parameters
    ----------
    n : int
        Respondents used.
    n_all : int
        Respondents with a known group and at least one answer on the items.
    counts : dict
        Group label to its count among the ``n``.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> ordinal_sample(380, 400, {"a": 200, "b": 180})["en"][:60]
    'The ordinal models use the 380 of 400 respondents with a kno'
    """
    parts = ", ".join(f"{int(k)} {g}" for g, k in counts.items())
    return bilingual(f"The ordinal models use the {n} of {n_all} respondents with a known group who answered every "
                     f"item of the compared constructs ({parts}): the polychoric correlations and thresholds are "
                     f"computed from complete answers.",
                     f"Các mô hình thứ bậc dùng {n} trên {n_all} người trả lời có nhóm xác định và trả lời đủ mọi câu "
                     f"của các cấu trúc được so sánh ({parts}).")


def ordinal_recodes(recodes: list[tuple], n_items: int) -> dict:
    """State the rule that merged unused categories before thresholds were compared, and the merges.

    Parameters
    ----------
    recodes : list of tuple
        ``(item, from, to)`` for each merge, in the order made.
    n_items : int
        Items compared.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> ordinal_recodes([("AW3", 1, 2)], 15)["en"][:58]
    'Thresholds can be held equal only where every group used a'
    >>> ordinal_recodes([("AW3", 1, 2)], 15)["en"][-49:]
    ' Merged: AW3 1→2 (1 merges in 1 of the 15 items).'
    """
    rule = ("Thresholds can be held equal only where every group used a category, so a category some group never "
            "used is merged into its neighbour toward the middle of the scale, repeatedly, before any model is "
            "fitted (`collapse_categories`). ")
    rule_vi = ("Ngưỡng chỉ so sánh được khi mọi nhóm đều dùng một mức, nên mức mà một nhóm không dùng được gộp vào "
               "mức kề phía giữa thang trước khi ước lượng. ")
    if not recodes:
        return bilingual(rule + f"Every group used every category of the {n_items} items: nothing was merged.",
                         rule_vi + f"Mọi nhóm dùng mọi mức của {n_items} câu: không gộp mức nào.")
    items = list(dict.fromkeys(r[0] for r in recodes))
    merges = ", ".join(f"{item} {a:g}→{b:g}" for item, a, b in recodes)
    return bilingual(rule + f"Merged: {merges} ({len(recodes)} merges in {len(items)} of the {n_items} items).",
                     rule_vi + f"Đã gộp: {merges} ({len(recodes)} lần gộp ở {len(items)} trên {n_items} câu).")


def ordinal_partial(top_param: str | None, top_x2: float, freed: list[str], holds: bool, level: str,
                    full_holds: bool) -> dict:
    """Word the ordinal partial-invariance search: what it released and whether the level then holds.

    Parameters
    ----------
    top_param : str or None
        The constraint whose release improved fit most, or None if there was none.
    top_x2 : float
        Its scaled chi-square difference.
    freed : list of str
        Constraints released.
    holds : bool
        Whether partial invariance holds after the release.
    level : str
        The level searched.
    full_holds : bool
        Whether full invariance held, so that nothing was released.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> ordinal_partial("A3|t1", 9.4, ["A3|t1"], True, "scalar", False)["en"][-60:]
    ' search: A3|t1, after which partial scalar invariance holds.'
    """
    if full_holds:
        return bilingual(f"Treating the items as ordinal, full {level} invariance holds: no constraint was released "
                         f"and latent means are compared under full {level} invariance.",
                         f"Khi coi các câu là thứ bậc, bất biến {level} toàn phần đạt: không nới ràng buộc nào.")
    if not freed:
        return bilingual(f"Treating the items as ordinal, full {level} invariance does not hold and no constraint "
                         f"could be released (each factor keeps at least two equal intercepts); the latent means "
                         f"below are compared without {level} invariance.",
                         f"Khi coi các câu là thứ bậc, bất biến {level} không đạt và không nới được ràng buộc nào.")
    state = "holds" if holds else "does not hold"
    return bilingual(
        f"Treating the items as ordinal, full {level} invariance does not hold. Releasing {top_param} improves fit "
        f"most (scaled χ² difference {top_x2:.1f}); released by the search: {_list(freed)}, after which partial "
        f"{level} invariance {state}.",
        f"Khi coi các câu là thứ bậc, bất biến {level} toàn phần không đạt. Tham số được nới: {_list_vi(freed)}; "
        f"bất biến {level} từng phần {'đạt' if holds else 'không đạt'}.")


def ordinal_latent_verdict(label: str, construct: str, verdict: str, level: str, rows: dict, contrast,
                           order=None, ordered=None) -> dict:
    """State a latent-mean verdict judged with the items as ordinal (means in the reference's latent SD).

    Parameters
    ----------
    label : str
        The hypothesis label.
    construct : str
        The construct compared.
    verdict : str
        The verdict.
    level : str
        The invariance level the comparison rests on.
    rows : dict
        Group to ``(est, lo, hi, d)`` against the reference, as in :func:`latent_mean_verdict`.
    contrast : tuple of str
        ``(group, reference)``.
    order : sequence of str, optional
        A claimed order of the groups.
    ordered : bool, optional
        Whether the estimates follow it.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> ordinal_latent_verdict("H6", "PM", "supported", "full scalar", {"b": (-0.5, -0.8, -0.2, -0.5)},
    ...                        ("b", "a"))["en"][:50]
    'Ordinal treatment (WLSMV, full scalar invariance):'
    """
    g, ref = contrast
    e, lo, hi, _ = rows[g]
    side = "excludes" if (lo > 0 or hi < 0) else "includes"
    extra_en, extra_vi = _ordering(order, ordered)
    return bilingual(
        f"Ordinal treatment (WLSMV, {level} invariance): {label} {verdict}; the latent mean of {construct} in {g} "
        f"differs from {ref} by {_f(e)} latent SD of the reference group (95 % CI {_f(lo)} to {_f(hi)}), an "
        f"interval that {side} zero.{extra_en}",
        f"Cách coi thứ bậc (WLSMV, bất biến {level}): {label} {verdict_word(verdict, 'vi')}; trung bình tiềm ẩn "
        f"của {construct} ở {g} chênh với {ref} {_f(e)} SD tiềm ẩn của nhóm tham chiếu (KTC 95 % {_f(lo)} đến "
        f"{_f(hi)}).{extra_vi}")


def dmacs_freed(rows: list[tuple], treatment: str) -> dict:
    """Report the largest dMACS among the freed items and its group pair (Nye & Drasgow 2011).

    Parameters
    ----------
    rows : list of tuple
        ``(item, reference, focal, dmacs)`` for each freed item and focal group.
    treatment : str
        Which search freed them (``"ML"``, ``"ordinal"``).

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> dmacs_freed([("PM3", "city", "commune", 0.31)], "ML")["en"][:40]
    'dMACS of the items freed by the ML searc'
    >>> dmacs_freed([], "ordinal")["en"]
    'The ordinal search freed no item, so no dMACS is reported.'
    """
    if not rows:
        return bilingual(f"The {treatment} search freed no item, so no dMACS is reported.",
                         f"Tìm kiếm {treatment} không nới câu nào, nên không báo cáo dMACS.")
    item, ref, focal, d = max(rows, key=lambda r: r[3])
    return bilingual(f"dMACS of the items freed by the {treatment} search (Nye & Drasgow 2011; the expected-score "
                     f"gap in pooled item SDs): largest {_f(d)} for {item}, {focal} against {ref}.",
                     f"dMACS của các câu được nới ({treatment}): lớn nhất {_f(d)} ở {item}, {focal} so với {ref}.")


def ordinal_claims(rows: list[tuple]) -> dict:
    """Say whether each latent-mean verdict holds with the items as ordinal.

    Parameters
    ----------
    rows : list of tuple
        ``(label, verdict, ordinal verdict, ordinal level)`` for each judged hypothesis.

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> ordinal_claims([("H6", "supported", "supported", "full scalar")])["en"]
    'Treating the items as ordered categories (WLSMV) leaves the verdict of H6 unchanged (supported; ordinal comparison at full scalar invariance).'
    """
    if not rows:
        return bilingual("The latent-mean hypotheses were not judged with the items as ordinal.",
                         "Các giả thuyết trung bình tiềm ẩn không được đánh giá với các câu coi là thứ bậc.")
    same = [f"{lab} unchanged ({v}; ordinal comparison at {lev} invariance)" for lab, v, o, lev in rows if v == o]
    diff = [f"that of {lab} from {v} to {o} (ordinal comparison at {lev} invariance)" for lab, v, o, lev in rows
            if v != o]
    same_vi = [f"{lab} ({verdict_word(v, 'vi')})" for lab, v, o, _ in rows if v == o]
    diff_vi = [f"{lab}: {verdict_word(v, 'vi')} → {verdict_word(o, 'vi')}" for lab, v, o, _ in rows if v != o]
    parts = []
    if same:
        parts.append("leaves the verdict of " + "; ".join(same))
    if diff:
        parts.append("changes " + "; ".join(diff))
    parts_vi = []
    if same_vi:
        parts_vi.append("giữ nguyên kết luận của " + ", ".join(same_vi))
    if diff_vi:
        parts_vi.append("thay đổi kết luận của " + "; ".join(diff_vi))
    return bilingual("Treating the items as ordered categories (WLSMV) " + " and ".join(parts) + ".",
                     "Khi coi các câu là thứ bậc (WLSMV), " + " và ".join(parts_vi) + ".")
