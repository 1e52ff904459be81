"""What a codebook file may contain: safe YAML input and the schema checks.

The first half of :mod:`hpmob.codebook` (which re-exports the public names here, and
which is where to import them from): the constants of the schema (:data:`SECTIONS`,
:data:`LANGUAGES`, ...), a YAML reader that refuses duplicate keys and alias bombs, the
checks that list every problem of a codebook dict at once, and the tidy tables built from
a valid one. The :class:`~hpmob.codebook.Codebook` class, which runs these checks when it
is constructed, and the loaders stay in :mod:`hpmob.codebook`.

The helpers without a leading underscore (:func:`validate_codebook`, :func:`codebook_tables`,
:func:`check_lang`) are public so that :mod:`hpmob.codebook` imports no private name,
but internal to the package: ``__all__`` lists only the schema constants and
:func:`normalize_label`.

Examples
--------
>>> from hpmob.codebook_schema import validate_codebook
>>> problems = validate_codebook({"meta": {}})
>>> problems[0]
"missing top-level section 'scales'; add it (required sections: meta, scales, constructs, items, attributes, admin, personal)"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import pandas as pd

from hpmob.checks import format_list

__all__ = [
    "ATTRIBUTE_TYPES",
    "LANGUAGES",
    "MIN_REFLECTIVE_ITEMS",
    "NUMBER_LOCALES",
    "SCALE_TYPES",
    "SECTIONS",
    "normalize_label",
]


#: Top-level sections every codebook must have, in the order of the schema.
SECTIONS = ("meta", "scales", "constructs", "items", "attributes", "admin", "personal")


#: Languages every label must be given in.
LANGUAGES = ("vi", "en")


SCALE_TYPES = ("likert",)


#: ``meta.number_locale``: the export writes one thousand as ``1.000`` (vi: decimal comma)
#: or ``1,000`` (en: decimal point). Without it, a separator in a number is an error.
NUMBER_LOCALES = ("vi", "en")


ATTRIBUTE_TYPES = ("categorical", "integer")


#: A reflective factor with fewer than three indicators is not identified on its own
#: (Bollen, 1989, ch. 7) and its alpha/omega are unstable, so we refuse it up front
#: rather than let the CFA fail obscurely later.
MIN_REFLECTIVE_ITEMS = 3


# Column codes end up as DataFrame columns and as names in lavaan/semopy model syntax,
# which only accepts identifiers.
_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _is_int(x: Any) -> bool:
    # bool is a subclass of int; `yes`/`true` must never pass as a response code.
    return isinstance(x, int) and not isinstance(x, bool)


_SPACE_RE = re.compile(r"\s+")


def normalize_label(text: str) -> str:
    """Normalize a free-text label for matching: Unicode NFC, case-folded, single spaces.

    Survey platforms and spreadsheets hand back the same answer as ``"Đồng ý"``,
    ``" đồng  ý "``, ``"ĐỒNG Ý"`` or in decomposed (NFD) Unicode; all of these must map
    to one code, while a genuinely different word must not. Diacritics are therefore
    kept (stripping them would merge distinct Vietnamese words); spellings without
    diacritics are accepted only when the codebook lists them as ``aliases``.

    Parameters
    ----------
    text : str
        A label as exported (any object is turned into text first).

    Returns
    -------
    str
        The NFC form, case-folded, with runs of whitespace as one space and no edge spaces.

    Examples
    --------
    >>> import unicodedata
    >>> normalize_label("  ĐỒNG   Ý ") == normalize_label(unicodedata.normalize("NFD", "đồng ý"))
    True
    """
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", str(text))).strip().casefold()


def _check_aliases(problems: list[str], where: str, labels: Mapping) -> None:
    """Aliases (known misspellings) must be strings and must not point at two codes."""
    seen: dict[str, Any] = {}
    for code, lab in labels.items():
        if not isinstance(lab, Mapping):
            continue
        texts = [lab.get(lang) for lang in LANGUAGES if isinstance(lab.get(lang), str)]
        aliases = lab.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            problems.append(f"{where}.{code}.aliases: expected a list of non-empty strings; got {aliases!r}")
            continue
        for text in [*texts, *aliases]:
            key = normalize_label(text)
            if key in seen and seen[key] != code:
                problems.append(
                    f"{where}: the label or alias {text!r} matches both {seen[key]!r} and {code!r}; "
                    "remove the alias from one of them"
                )
            seen.setdefault(key, code)


def _check_text(problems: list[str], where: str, entry: Any, keys=LANGUAGES) -> None:
    """Require a non-empty NFC string under each of `keys`."""
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: expected a mapping with {format_list(keys)} text; got {entry!r}")
        return
    for k in keys:
        text = entry.get(k)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: missing {k} text; add a non-empty '{k}:' string")
        elif not unicodedata.is_normalized("NFC", text):
            # Cleaning matches raw labels against these texts after NFC-normalizing
            # them; decomposed (NFD) text here would never match.
            problems.append(
                f"{where}: {k} text is not Unicode NFC (decomposed diacritics); "
                "re-save it in NFC form, e.g. unicodedata.normalize('NFC', text)"
            )


def _check_unique_labels(problems: list[str], where: str, labels: Mapping) -> None:
    """Labels of one scale/attribute must differ, or label→code recoding is ambiguous."""
    for lang in LANGUAGES:
        seen: dict[str, Any] = {}
        for code, lab in labels.items():
            text = lab.get(lang) if isinstance(lab, Mapping) else None
            if not isinstance(text, str):
                continue
            key = unicodedata.normalize("NFC", text).strip().casefold()
            if key in seen:
                problems.append(
                    f"{where}: codes {seen[key]!r} and {code!r} share the {lang} label "
                    f"{text!r}; give each code a distinct label"
                )
            else:
                seen[key] = code


def _check_code(problems: list[str], where: str, code: Any) -> bool:
    if not isinstance(code, str) or not _CODE_RE.match(code):
        problems.append(
            f"{where}: code {code!r} is not a valid column name; use letters, digits "
            "and underscores, starting with a letter"
        )
        return False
    return True


def _check_meta(problems: list[str], meta: Any) -> None:
    if not isinstance(meta, Mapping):
        problems.append(f"meta: expected a mapping with title_vi, title_en, version, languages; got {meta!r}")
        return
    for key in ("title_vi", "title_en"):
        text = meta.get(key)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"meta: missing {key}; add a non-empty '{key}:' string")
        elif not unicodedata.is_normalized("NFC", text):
            problems.append(f"meta.{key}: text is not Unicode NFC; re-save it in NFC form")
    if not _is_int(meta.get("version")):
        problems.append(f"meta.version: expected an integer (e.g. 1); got {meta.get('version')!r}")
    locale = meta.get("number_locale")
    if locale is not None and locale not in NUMBER_LOCALES:
        problems.append(f"meta.number_locale: one of {format_list(NUMBER_LOCALES)} (or leave it out); got {locale!r}")
    langs = meta.get("languages")
    if not isinstance(langs, list) or set(LANGUAGES) - set(langs):
        problems.append(f"meta.languages: must list {format_list(LANGUAGES)}; got {langs!r}")


def _check_scales(problems: list[str], scales: Any) -> set[str]:
    """Validate `scales`; return the names usable by items."""
    if not isinstance(scales, Mapping) or not scales:
        problems.append(f"scales: expected a non-empty mapping of scale name -> definition; got {scales!r}")
        return set()
    ok: set[str] = set()
    for name, spec in scales.items():
        where = f"scales.{name}"
        if not _check_code(problems, where, name):
            continue
        if not isinstance(spec, Mapping):
            problems.append(f"{where}: expected a mapping with type, codes, missing; got {spec!r}")
            continue
        ok.add(name)
        if spec.get("type") not in SCALE_TYPES:
            problems.append(f"{where}: type must be one of {format_list(SCALE_TYPES)}; got {spec.get('type')!r}")
        codes = spec.get("codes")
        if not isinstance(codes, Mapping) or not codes:
            problems.append(f"{where}.codes: expected a non-empty mapping of integer code -> {{vi, en}} labels")
            continue
        bad = [c for c in codes if not _is_int(c)]
        if bad:
            problems.append(
                f"{where}.codes: codes {format_list(repr(c) for c in bad)} are not integers; "
                "write codes as bare integers (1:, not '1':)"
            )
        ints = sorted(c for c in codes if _is_int(c))
        if ints and ints != list(range(ints[0], ints[0] + len(ints))):
            problems.append(
                f"{where}.codes: codes {ints} are not consecutive integers; number the "
                "response options without gaps (e.g. 1, 2, 3, 4, 5)"
            )
        for c, lab in codes.items():
            _check_text(problems, f"{where}.codes.{c}", lab)
        missing = spec.get("missing", {})
        if missing is None:
            missing = {}
        if not isinstance(missing, Mapping):
            problems.append(f"{where}.missing: expected a mapping of integer code -> {{vi, en}} labels; got {missing!r}")
            missing = {}
        for c, lab in missing.items():
            if not _is_int(c):
                problems.append(f"{where}.missing: code {c!r} is not an integer; write it as a bare integer (e.g. 9:)")
            elif c in codes:
                lo, hi = (ints[0], ints[-1]) if ints else (c, c)
                problems.append(
                    f"{where}.missing: code {c} collides with valid response code {c}; "
                    f"use a code outside {lo}–{hi} (e.g. 9) for 'no answer'"
                )
            _check_text(problems, f"{where}.missing.{c}", lab)
        _check_unique_labels(problems, where, {**codes, **missing})
        _check_aliases(problems, where, {**codes, **missing})
        agree = spec.get("agree_codes")
        if agree is not None and (not isinstance(agree, list) or any(a not in ints for a in agree)):
            problems.append(f"{where}.agree_codes: must be a list of valid codes from {ints}; got {agree!r}")
    return ok


def _check_constructs(problems: list[str], constructs: Any) -> dict[str, bool]:
    """Validate `constructs`; return {code: reflective} for the usable ones."""
    if not isinstance(constructs, Mapping) or not constructs:
        problems.append(f"constructs: expected a non-empty mapping of construct code -> definition; got {constructs!r}")
        return {}
    ok: dict[str, bool] = {}
    for code, spec in constructs.items():
        where = f"constructs.{code}"
        if not _check_code(problems, where, code):
            continue
        if not isinstance(spec, Mapping):
            problems.append(f"{where}: expected a mapping with vi, en, reflective, role; got {spec!r}")
            continue
        _check_text(problems, where, spec)
        refl = spec.get("reflective")
        if not isinstance(refl, bool):
            problems.append(f"{where}: reflective must be true or false; got {refl!r}")
            refl = False
        role = spec.get("role")
        if role is not None and (not isinstance(role, str) or not role.strip()):
            problems.append(f"{where}: role must be a short text (e.g. predictor, outcome); got {role!r}")
        if "stem" in spec:
            _check_text(problems, f"{where}.stem", spec["stem"])
        ok[code] = refl
    return ok


def _check_items(problems, items, scales: set[str], constructs: dict[str, bool], scales_ok: bool,
                 constructs_ok: bool) -> list[tuple[str, str]]:
    """Validate `items`; return (code, construct) pairs for the membership checks."""
    if not isinstance(items, list) or not items:
        problems.append(f"items: expected a non-empty list of item entries; got {items!r}")
        return []
    members: list[tuple[str, str]] = []
    item_scale: dict[str, set[str]] = {}
    for i, it in enumerate(items):
        if not isinstance(it, Mapping):
            problems.append(f"items[{i}]: expected a mapping with code, construct, scale, reverse, vi, en; got {it!r}")
            continue
        code = it.get("code")
        where = f"items[{i}] ({code})"
        _check_code(problems, where, code)
        con, sc = it.get("construct"), it.get("scale")
        if constructs_ok and con not in constructs:
            problems.append(
                f"{where}: unknown construct {con!r}; use one of {format_list(constructs)} "
                "or add it under 'constructs'"
            )
        if scales_ok and sc not in scales:
            problems.append(f"{where}: unknown scale {sc!r}; use one of {format_list(sorted(scales))} or add it under 'scales'")
        if not isinstance(it.get("reverse"), bool):
            problems.append(
                f"{where}: reverse flag must be true or false (unquoted); got {it.get('reverse')!r}"
            )
        _check_text(problems, where, it)
        if isinstance(con, str):
            members.append((code, con))
            if sc in scales:  # unknown scales are reported above, not twice
                item_scale.setdefault(con, set()).add(sc)
    for con, scs in item_scale.items():
        if len(scs) > 1 and con in constructs:
            # A composite (mean) of items on different scales has no interpretable unit.
            problems.append(
                f"constructs.{con}: its items use different scales ({format_list(sorted(scs))}); "
                "put all items of a construct on the same scale"
            )
    counts = {c: 0 for c in constructs}
    for _, con in members:
        if con in counts:
            counts[con] += 1
    for con, n in counts.items():
        if n == 0:
            problems.append(f"constructs.{con}: no items belong to it; add items or remove the construct")
        elif constructs[con] and n < MIN_REFLECTIVE_ITEMS:
            problems.append(
                f"constructs.{con}: reflective construct has only {n} item(s); it needs at least "
                f"{MIN_REFLECTIVE_ITEMS} to be identified: add items or set reflective: false"
            )
    return members


def _check_attributes(problems: list[str], attributes: Any) -> None:
    if not isinstance(attributes, list):
        problems.append(f"attributes: expected a list of attribute entries; got {attributes!r}")
        return
    for i, at in enumerate(attributes):
        if not isinstance(at, Mapping):
            problems.append(f"attributes[{i}]: expected a mapping with code, type, vi, en; got {at!r}")
            continue
        code = at.get("code")
        where = f"attributes[{i}] ({code})"
        _check_code(problems, where, code)
        _check_text(problems, where, at)
        typ = at.get("type")
        if typ == "categorical":
            values = at.get("values")
            if not isinstance(values, Mapping) or not values:
                problems.append(
                    f"{where}: categorical attribute has no values; add 'values:' mapping each "
                    "value code to {vi, en} labels"
                )
                continue
            for v, lab in values.items():
                # YAML turns bare yes/no/on/off into booleans and digits into numbers.
                if not isinstance(v, str) or not _CODE_RE.match(v):
                    problems.append(
                        f"{where}.values: value code {v!r} is not an identifier string; "
                        "use letters/digits/underscores and quote it if YAML reads it as bool or number"
                    )
                _check_text(problems, f"{where}.values.{v}", lab)
            _check_unique_labels(problems, f"{where}.values", values)
            _check_aliases(problems, f"{where}.values",
                           {**values, **({"missing": at["missing"]} if isinstance(at.get("missing"), Mapping) else {})})
            order = at.get("order")
            if order is not None and (
                not isinstance(order, list) or len(order) != len(values) or set(order) != set(values)
            ):
                problems.append(
                    f"{where}.order: must list each value code exactly once "
                    f"({format_list(values)}); got {order!r}"
                )
            if "missing" in at:
                _check_text(problems, f"{where}.missing", at["missing"])
        elif typ == "integer":
            rng = at.get("range")
            if not (
                isinstance(rng, list) and len(rng) == 2 and all(_is_int(r) for r in rng) and rng[0] < rng[1]
            ):
                problems.append(
                    f"{where}: integer attribute needs range: [min, max] with integers min < max; got {rng!r}"
                )
            elif "plausible" in at:
                pl = at["plausible"]
                if not (isinstance(pl, list) and len(pl) == 2 and all(_is_int(v) for v in pl)
                        and rng[0] <= pl[0] < pl[1] <= rng[1]):
                    problems.append(
                        f"{where}: plausible must be [min, max] integers inside range {rng}; got {pl!r}"
                    )
        else:
            problems.append(f"{where}: type must be one of {format_list(ATTRIBUTE_TYPES)}; got {typ!r}")


def _check_column_list(problems: list[str], section: str, cols: Any) -> None:
    if not isinstance(cols, list):
        problems.append(f"{section}: expected a list of column names; got {cols!r}")
        return
    for j, c in enumerate(cols):
        _check_code(problems, f"{section}[{j}]", c)


def _column_owners(d: Mapping) -> list[tuple[str, str]]:
    """(code, section) for every column the codebook defines."""
    out: list[tuple[str, str]] = []
    for sec in ("admin", "personal"):
        cols = d.get(sec)
        if isinstance(cols, list):
            out += [(c, sec) for c in cols if isinstance(c, str)]
    for sec in ("attributes", "items"):
        entries = d.get(sec)
        if isinstance(entries, list):
            out += [(e.get("code"), sec) for e in entries if isinstance(e, Mapping) and isinstance(e.get("code"), str)]
    return out


def _check_duplicates(problems: list[str], d: Mapping) -> None:
    owners: dict[str, list[str]] = {}
    for code, sec in _column_owners(d):
        owners.setdefault(code, []).append(sec)
    for code, secs in owners.items():
        if len(secs) < 2:
            continue
        if len(set(secs)) == 1:
            problems.append(
                f"{secs[0]}: code '{code}' is used {len(secs)} times; give each entry a unique code"
            )
        else:
            problems.append(
                f"column '{code}' is defined in more than one section ({format_list(secs)}); "
                "codes must be unique across items, attributes, admin and personal"
            )


def validate_codebook(d: Any) -> list[str]:
    """Return every problem found in codebook dict `d` (empty list when valid)."""
    if not isinstance(d, Mapping):
        return [f"top level must be a mapping with sections {format_list(SECTIONS)}; got {type(d).__name__}"]
    problems: list[str] = []
    for s in SECTIONS:
        if s not in d:
            problems.append(f"missing top-level section '{s}'; add it (required sections: {format_list(SECTIONS)})")
    if "meta" in d:
        _check_meta(problems, d["meta"])
    scales = _check_scales(problems, d["scales"]) if "scales" in d else set()
    constructs = _check_constructs(problems, d["constructs"]) if "constructs" in d else {}
    if "items" in d:
        # Only complain about unknown scale/construct names when that section itself is
        # usable; otherwise every item would repeat the section's own problem.
        _check_items(problems, d["items"], scales, constructs,
                     scales_ok=isinstance(d.get("scales"), Mapping),
                     constructs_ok=isinstance(d.get("constructs"), Mapping))
    if "attributes" in d:
        _check_attributes(problems, d["attributes"])
    for sec in ("admin", "personal"):
        if sec in d:
            _check_column_list(problems, sec, d[sec])
    _check_duplicates(problems, d)
    return problems


def codebook_tables(d: Mapping) -> dict[str, pd.DataFrame]:
    """Return the tidy tables (items, constructs, scales, attributes) of a valid codebook dict."""
    items = d["items"]
    items_df = pd.DataFrame(
        {
            "code": [it["code"] for it in items],
            "construct": [it["construct"] for it in items],
            "scale": [it["scale"] for it in items],
            "reverse": pd.array([it["reverse"] for it in items], dtype=bool),
            "text_vi": [it["vi"] for it in items],
            "text_en": [it["en"] for it in items],
        }
    )
    n_items = items_df["construct"].value_counts()
    cons = d["constructs"]
    constructs_df = pd.DataFrame(
        {
            "code": list(cons),
            "label_vi": [c["vi"] for c in cons.values()],
            "label_en": [c["en"] for c in cons.values()],
            "reflective": pd.array([c["reflective"] for c in cons.values()], dtype=bool),
            "role": [c.get("role") for c in cons.values()],
            "n_items": pd.array([int(n_items.get(k, 0)) for k in cons], dtype="int64"),
        }
    )
    rows = []
    for name, spec in d["scales"].items():
        for code in sorted(spec["codes"]):
            lab = spec["codes"][code]
            rows.append((name, code, lab["vi"], lab["en"], False))
        for code, lab in sorted((spec.get("missing") or {}).items()):
            rows.append((name, code, lab["vi"], lab["en"], True))
    scales_df = pd.DataFrame(rows, columns=["scale", "code", "label_vi", "label_en", "is_missing"])
    scales_df = scales_df.astype({"code": "int64", "is_missing": bool})
    attrs = []
    for at in d["attributes"]:
        if at["type"] == "categorical":
            values = tuple(at.get("order") or at["values"])
            rng = None
        else:
            values, rng = None, tuple(at["range"])
        attrs.append((at["code"], at["type"], at["vi"], at["en"], values, rng))
    attributes_df = pd.DataFrame(attrs, columns=["code", "type", "label_vi", "label_en", "values", "range"])
    return {"items": items_df, "constructs": constructs_df, "scales": scales_df, "attributes": attributes_df}


def check_lang(lang: str) -> None:
    """Raise ValueError unless ``lang`` is one of :data:`LANGUAGES`."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {format_list(repr(x) for x in LANGUAGES)}; got {lang!r}")
