"""Sentences on the power analysis: how many respondents per group each effect needs.

Part of :mod:`hpmob.study.sentences`, which re-exports every name here. A simulated power
curve knows power only at the sizes simulated, so a requirement is a bound between two of
them ("81–120"), at most the smallest ("at most 40") or beyond the largest ("more than
160"), never a point.
"""

from __future__ import annotations

import math

import pandas as pd

from hpmob.study.phrasing import bilingual, series

__all__ = ["power_bound", "power_bounds", "power_effect_label", "power_requirements"]


def power_bound(n: float, sizes) -> tuple[str, str]:
    """Word the smallest simulated size that reaches the target as a bound, in English and Vietnamese.

    Parameters
    ----------
    n : float
        The smallest simulated size whose power reaches the target; NaN when none does.
    sizes : sequence of int
        Every size simulated.

    Returns
    -------
    tuple of str
        ``(english, vietnamese)``.

    Examples
    --------
    >>> power_bound(40, [40, 80, 120]), power_bound(120, [40, 80, 120])[0], power_bound(float("nan"), [40, 80])[0]
    (('at most 40', 'tối đa 40'), '81–120', 'more than 80')
    """
    sizes = sorted(int(s) for s in sizes)
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return f"more than {sizes[-1]}", f"hơn {sizes[-1]}"
    n = int(n)
    below = [s for s in sizes if s < n]
    if not below:
        return f"at most {n}", f"tối đa {n}"
    return f"{below[-1] + 1}–{n}", f"{below[-1] + 1}–{n}"


def power_bounds(needed: pd.DataFrame, sizes) -> pd.DataFrame:
    """Add the bound each requirement is (:func:`power_bound`) to a table of required sizes.

    Parameters
    ----------
    needed : DataFrame
        ``effect, target, n_per_level`` (:func:`hpmob.power.required_n`; NaN where no
        simulated size reaches the target).
    sizes : sequence of int
        Every size simulated.

    Returns
    -------
    DataFrame
        ``needed`` with ``needed_per_level`` (English), ``needed_per_level_vi`` and
        ``effect_label`` (:func:`power_effect_label`).

    Examples
    --------
    >>> needed = pd.DataFrame({"effect": ["a", "b"], "target": [0.8, 0.8], "n_per_level": [80.0, float("nan")]})
    >>> power_bounds(needed, [40, 80])["needed_per_level"].tolist()
    ['41–80', 'more than 80']
    """
    words = [power_bound(n, sizes) for n in needed["n_per_level"]]
    return needed.assign(needed_per_level=[en for en, _ in words], needed_per_level_vi=[vi for _, vi in words],
                         effect_label=[power_effect_label(e) for e in needed["effect"]])


def power_effect_label(effect: str, lang: str = "en") -> str:
    """Name a power effect in words, for tables, figures and sentences.

    Parameters
    ----------
    effect : str
        An effect name as :func:`hpmob.power.power_effects` builds it: ``"<label> indirect"``,
        ``"<label> <x>→<y>"`` (a path) or ``"<label> <group>-<reference>"`` (a latent-mean
        contrast); any other name is returned unchanged.
    lang : {"en", "vi"}
        The language.

    Returns
    -------
    str
        The effect in words, its hypothesis label in brackets.

    Examples
    --------
    >>> power_effect_label("H6 commune-city"), power_effect_label("H3 indirect", "vi")
    ('commune − city contrast (H6)', 'hiệu ứng gián tiếp (H3)')
    """
    label, _, what = effect.partition(" ")
    vi = lang == "vi"
    if what == "indirect":
        return f"hiệu ứng gián tiếp ({label})" if vi else f"indirect effect ({label})"
    if "→" in what:
        return f"{'đường dẫn' if vi else 'path'} {what.replace('→', ' → ')} ({label})"
    if "-" in what:
        group, _, ref = what.partition("-")
        return f"chênh lệch {group} − {ref} ({label})" if vi else f"{group} − {ref} contrast ({label})"
    return effect


def power_requirements(needed: pd.DataFrame, sizes, n_rep: int, group: dict | None = None) -> dict:
    """Say how many respondents per group each effect needs for the target power, as bounds.

    Parameters
    ----------
    needed : DataFrame
        ``effect, target, n_per_level`` (:func:`hpmob.power.required_n`), one target.
    sizes : sequence of int
        Every size simulated.
    n_rep : int
        Simulated studies per size.
    group : dict, optional
        What a group is, ``{"en": ..., "vi": ...}`` (the grouping attribute's codebook
        label, e.g. "Governance level"); default "group".

    Returns
    -------
    dict
        The sentence, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> needed = pd.DataFrame({"effect": ["H6 commune-city", "H3 indirect"], "target": [0.8, 0.8],
    ...                        "n_per_level": [40.0, float("nan")]})
    >>> power_requirements(needed, [40, 80], 60, {"en": "Level", "vi": "Cấp"})["en"]  # doctest: +NORMALIZE_WHITESPACE
    'With 60 simulated studies at each of 40 and 80 per level, 80 % power needs at most 40 per level for the
    commune − city contrast (H6) and more than 80 for the indirect effect (H3), which no simulated size reaches.'
    """
    sizes = sorted(int(s) for s in sizes)
    target = float(needed["target"].iloc[0])
    per_en = f"per {(group or {}).get('en', 'group').lower()}"
    per_vi = f"mỗi {(group or {}).get('vi', 'nhóm').lower()}"
    parts_en, parts_vi = [], []
    for k, row in enumerate(needed.itertuples()):
        en, vi = power_bound(row.n_per_level, sizes)
        what_en, what_vi = f"the {power_effect_label(row.effect)}", power_effect_label(row.effect, "vi")
        unreached = isinstance(row.n_per_level, float) and math.isnan(row.n_per_level)
        parts_en.append(f"{en}{' ' + per_en if k == 0 else ''} for {what_en}"
                        + (", which no simulated size reaches" if unreached else ""))
        parts_vi.append(f"{vi} cho {what_vi}" + (" (không cỡ mẫu mô phỏng nào đạt)" if unreached else ""))
    return bilingual(
        f"With {n_rep} simulated studies at each of {series(sizes)} {per_en}, {target:.0%} power needs "
        f"{series(parts_en)}.".replace("%", " %"),
        f"Với {n_rep} nghiên cứu mô phỏng ở mỗi cỡ {series(sizes, 'và')} người {per_vi}, để đạt độ mạnh "
        f"{target:.0%} cần số người {per_vi}: {'; '.join(parts_vi)}.".replace("%", " %"))
