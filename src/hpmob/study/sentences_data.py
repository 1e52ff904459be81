"""Sentences on the data: cleaning flow, sample sizes, descriptives and group comparisons.

Part of :mod:`hpmob.study.sentences`, which re-exports every name here.
"""

from __future__ import annotations

import math

from hpmob.study.phrasing import bilingual, listed, listed_vi, num, treatment_words, verdict_word

__all__ = ["alpha_range", "reverse_items_item_rest", "group_means", "share_verdict", "cleaning_flow",
           "model_n", "group_sizes", "welch"]


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
    return bilingual(f"Cronbach's alpha ranges from {num(lo)} to {num(hi)} across the {n} reflective constructs.",
                     f"Hệ số Cronbach's alpha nằm trong khoảng {num(lo)} đến {num(hi)} trên {n} cấu trúc phản ánh.")


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
        return bilingual(f"The reverse-keyed items ({listed(reverse)}) carry the lowest item–rest correlation of their "
                         "constructs, as negatively worded items usually do.",
                         f"Các câu hỏi mã hóa ngược ({listed(reverse)}) có tương quan biến–tổng thấp nhất trong cấu "
                         "trúc của chúng, như thường gặp ở câu hỏi phát biểu phủ định.")
    return bilingual(f"Of the reverse-keyed items ({listed(reverse)}), {len(low)} carry the lowest item–rest "
                     f"correlation of their construct ({listed(low)}).",
                     f"Trong các câu hỏi mã hóa ngược ({listed(reverse)}), {len(low)} câu có tương quan biến–tổng "
                     f"thấp nhất trong cấu trúc của mình ({listed_vi(low)}).")


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
    parts = "; ".join(f"{g} {num(m)}" for g, m in means.items())
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
        f"{label} verdict: {verdict}. {num(share, 1)} % of respondents agree on average with the {construct} items "
        f"(95 % CI {num(lo, 1)}–{num(hi, 1)} %), against the threshold of {threshold:.0f} %; single items range "
        f"upwards from {num(item_min, 1)} %.",
        f"Kết luận {label}: {verdict_word(verdict, 'vi')}. {num(share, 1)} % người trả lời đồng ý trung bình với các câu "
        f"{construct} (KTC 95 % {num(lo, 1)}–{num(hi, 1)} %), so với ngưỡng {threshold:.0f} %; từng câu thấp nhất là "
        f"{num(item_min, 1)} %.")


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
    who, who_vi = treatment_words(missing)
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
