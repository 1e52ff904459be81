"""Sentences on the multiverse of analytic choices: the grid, fragility, flips and joint tests.

Part of :mod:`hpmob.study.sentences`, which re-exports every name here.
"""

from __future__ import annotations

import math

from hpmob.study.phrasing import bilingual, series

__all__ = ["multiverse_grid", "multiverse_fragility", "multiverse_flip", "multiverse_joint_status",
           "joint_test", "multiverse_equivalents"]


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
    >>> multiverse_grid("named points", 4, "estimator, straight-liners", 2.5)["en"]  # doctest: +NORMALIZE_WHITESPACE
    'This chapter shows the named points of the grid of `variants.yaml`: 4 specifications over the choices
    estimator, straight-liners (`make multiverse` builds and shows the full grid); each took 2.5 s of
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
    >>> multiverse_fragility(7, ["H5"], {"H5": "straight-liners: 0/2 supported with kept"})["en"]  # doctest: +NORMALIZE_WHITESPACE
    '1 of the 7 judged claims is fragile, its verdict depending on the specification: H5 (straight-liners: 0/2
    supported with kept). The others have the same verdict under every specification.'
    """
    if not fragile:
        return bilingual(f"Every one of the {n_claims} judged claims has the same verdict under every specification.",
                         f"Cả {n_claims} nhận định có cùng kết luận dưới mọi đặc tả.")
    parts = "; ".join(f"{c} ({flips[c]})" if flips.get(c) else c for c in fragile)
    return bilingual(
        f"{len(fragile)} of the {n_claims} judged claims {'is' if len(fragile) == 1 else 'are'} fragile, "
        f"{'its' if len(fragile) == 1 else 'their'} verdict depending on the "
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
    >>> multiverse_flip("straight-liners", {"kept": (0, 24), "excluded": (24, 24)})
    'straight-liners: 0/24 supported with kept, 24/24 supported with excluded'
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
        f"giả thuyết không: p nhỏ nhất có thể là {1 / (1 + n_null):.3f}, và một giá trị p gần .05 có sai số chuẩn "
        f"Monte Carlo là {se:.3f}.")


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
    >>> "sai số chuẩn Monte Carlo" in joint_test("H4", 24, {"median estimate": (-0.256, 0.050, 0.022)}, 100)["vi"]
    True
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
    listed = series(names)
    caveat = (f" The p-value{'s' if len(near) > 1 else ''} of {listed} lie{'' if len(near) > 1 else 's'} within two "
              f"Monte Carlo SEs of {alpha:g}: more than {n_null} null draws would be needed to settle "
              f"{'their' if len(near) > 1 else 'its'} side of the threshold.") if near else ""
    caveat_vi = (f" Giá trị p của {', '.join(near)} nằm trong phạm vi hai sai số chuẩn Monte Carlo quanh {alpha:g}: "
                 f"cần nhiều hơn {n_null} mẫu dưới giả thuyết không để biết chắc nó ở phía nào của ngưỡng.") if near else ""
    verdict_vi = {"more extreme than chance": "khác ngẫu nhiên",
                  "more extreme than chance on some summaries": "khác ngẫu nhiên trên một số thống kê tóm tắt",
                  "not more extreme than chance": "không khác ngẫu nhiên"}[verdict]
    return bilingual(
        f"{label}: over {n_specs} distinct specifications the curve is {verdict} in the claimed direction — "
        f"{parts}.{caveat}",
        f"{label}: trên {n_specs} đặc tả, đường cong {verdict_vi} theo hướng kỳ vọng — {parts}.{caveat_vi}")


def multiverse_equivalents(rows: list[tuple[str, str, str]]) -> dict:
    """Say which named variants are shown with a grid point's claims, and why that is exact.

    Parameters
    ----------
    rows : list of (variant, point, settings)
        A variant that is no grid point, the point whose claims it has and the settings in
        which they differ (settings that only the measurement chapter reads).

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``; empty texts when there is none.

    Examples
    --------
    >>> multiverse_equivalents([("mlr", "main", "estimator")])["en"]  # doctest: +NORMALIZE_WHITESPACE
    'The mlr variant is no point of the grid: it differs from main only in estimator, which only the
    measurement chapter reads, so no claim can change and its column shows the claims of main.'
    >>> multiverse_equivalents([])
    {'en': '', 'vi': ''}
    """
    if not rows:
        return bilingual("", "")
    en = " ".join(f"The {v} variant is no point of the grid: it differs from {p} only in {st}, which only the "
                  f"measurement chapter reads, so no claim can change and its column shows the claims of {p}."
                  for v, p, st in rows)
    vi = " ".join(f"Biến thể {v} không phải là một điểm của lưới: nó chỉ khác {p} ở {st}, vốn chỉ chương đo lường "
                  f"sử dụng, nên không nhận định nào thay đổi và cột của nó là các nhận định của {p}."
                  for v, p, st in rows)
    return bilingual(en, vi)
