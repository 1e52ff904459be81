"""Sentences on measurement across groups: invariance, partial invariance, latent means, ordinal invariance.

Part of :mod:`hpmob.study.sentences`, which re-exports every name here.
"""

from __future__ import annotations

from hpmob.study.phrasing import bilingual, diff, listed, listed_vi, num, ordering_clause, verdict_word

__all__ = ["invariance_sequence", "partial_search", "latent_mean_verdict", "latent_contrasts",
           "ordinal_sample", "ordinal_recodes", "ordinal_partial", "ordinal_latent_verdict", "dmacs_freed",
           "ordinal_claims"]


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
                  f"(ΔCFI = {diff(d_cfi)}, ΔRMSEA = {diff(d_rmsea)})")
        vi.append(f"bất biến {level} {'đạt' if holds else 'không đạt'} (ΔCFI = {diff(d_cfi)}, ΔRMSEA = {diff(d_rmsea)})")
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
        f"(χ²(1) = {top_x2:.1f}, {top_group} group). Released by the search: {listed(freed)}; partial {level} "
        f"invariance then {state}. Latent means are compared below with {listed(freed)} free.",
        f"Kiểm định score lớn nhất thuộc về {top_param} (χ²(1) = {top_x2:.1f}, nhóm {top_group}). Tham số được nới: "
        f"{listed_vi(freed)}; bất biến {level} từng phần {'đạt' if holds else 'không đạt'}.")


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
    parts = "; ".join(f"{grp} {num(e)} (95 % CI {num(lo)} to {num(hi)})" for grp, (e, lo, hi, _) in rows.items())
    parts_vi = "; ".join(f"{grp} {num(e)} (KTC 95 % {num(lo)} đến {num(hi)})" for grp, (e, lo, hi, _) in rows.items())
    e, lo, hi, d = rows[g]
    side = "excludes" if (lo > 0 or hi < 0) else "includes"
    extra_en, extra_vi = ordering_clause(order, ordered)
    return bilingual(
        f"{label} verdict: {verdict}. Relative to {ref}, the latent mean of {construct} is {parts}; the "
        f"{g} − {ref} interval {side} zero ({num(d)} latent SD).{extra_en}",
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
        en.append(f"{grp} {word} ({num(e)}, {num(lo)} to {num(hi)})")
        vi.append(f"{grp} {wvi} ({num(e)}, {num(lo)} đến {num(hi)})")
    return bilingual(f"{construct} relative to {ref}: {'; '.join(en)}.",
                     f"{construct} so với {ref}: {'; '.join(vi)}.")


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
            "fitted (hpmob.sem.ordinal_invariance.collapse_categories). ")
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
        f"most (scaled χ² difference {top_x2:.1f}); released by the search: {listed(freed)}, after which partial "
        f"{level} invariance {state}.",
        f"Khi coi các câu là thứ bậc, bất biến {level} toàn phần không đạt. Tham số được nới: {listed_vi(freed)}; "
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
    extra_en, extra_vi = ordering_clause(order, ordered)
    return bilingual(
        f"Ordinal treatment (WLSMV, {level} invariance): {label} {verdict}; the latent mean of {construct} in {g} "
        f"differs from {ref} by {num(e)} latent SD of the reference group (95 % CI {num(lo)} to {num(hi)}), an "
        f"interval that {side} zero.{extra_en}",
        f"Cách coi thứ bậc (WLSMV, bất biến {level}): {label} {verdict_word(verdict, 'vi')}; trung bình tiềm ẩn "
        f"của {construct} ở {g} chênh với {ref} {num(e)} SD tiềm ẩn của nhóm tham chiếu (KTC 95 % {num(lo)} đến "
        f"{num(hi)}).{extra_vi}")


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
                     f"gap in pooled item SDs): largest {num(d)} for {item}, {focal} against {ref}.",
                     f"dMACS của các câu được nới ({treatment}): lớn nhất {num(d)} ở {item}, {focal} so với {ref}.")


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
