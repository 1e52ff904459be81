"""The words every result sentence is built from: the bilingual pair, verdicts, numbers, lists.

Shared by the sentence modules of :mod:`hpmob.study.sentences`; users import
:func:`bilingual` and :func:`verdict_word` from there.
"""

from __future__ import annotations

import math

__all__ = ["bilingual", "verdict_word"]  # the rest serves the sentence modules only

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


def num(x: float, nd: int = 2) -> str:
    """A number to ``nd`` places, or a dash for a missing one."""
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def diff(x: float, nd: int = 3) -> str:
    """A difference to ``nd`` places; one that rounds to zero is 0, never "-0.000"."""
    text = f"{x:.{nd}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def ordering_clause(order, ordered: bool) -> tuple[str, str]:
    """The clause on a claimed group order ("The ordering a < b < c holds in the estimates."), EN and VI."""
    if not order:
        return "", ""
    chain = " < ".join(order)
    return (f" The ordering {chain} {'holds' if ordered else 'does not hold'} in the estimates.",
            f" Thứ tự {chain} {'đúng' if ordered else 'không đúng'} theo ước lượng.")


def series(xs, conj: str = "and") -> str:
    """Join names as a series, the last with ``conj``: "a, b and c" (empty for none).

    >>> series(["40", "80", "120"]), series(["40", "80"], "và"), series(["x"]), series([])
    ('40, 80 and 120', '40 và 80', 'x', '')
    """
    xs = [str(x) for x in xs]
    return ", ".join(xs[:-1]) + f" {conj} " + xs[-1] if len(xs) > 1 else "".join(xs)


def listed(xs) -> str:
    """Join names with commas, or say none (English)."""
    return ", ".join(xs) if xs else "none"


def listed_vi(xs) -> str:
    """Join names with commas, or say none (Vietnamese)."""
    return ", ".join(xs) if xs else "không có"

def treatment_words(missing: str) -> tuple[str, str]:
    """Who a model uses, in words, under the missing-data treatment ``missing``."""
    if missing == "ml":
        return ("with at least one answer on its items (full-information ML: incomplete answers are used, "
                "not dropped)", "có ít nhất một câu trả lời (ML thông tin đầy đủ: không loại câu trả lời thiếu)")
    return "who answered every one of its variables (listwise deletion)", "trả lời đủ mọi biến (loại theo danh sách)"
