"""Read and validate the bilingual survey codebook.

The codebook (``data/codebook.yaml``) is the single source of truth for item wording,
response scales, value labels, reverse keying, construct membership, respondent
attributes and personal-data columns. The simulator, the raw-export validator, the
cleaning rules, the scoring and the book's codebook appendix all read it through this
module, so a codebook that loads here is one every other step can rely on.

Schema (top-level sections, all required)::

    meta:       {title_vi, title_en, version, languages: [vi, en], note,
                 number_locale: vi | en}   # optional: how the export writes 1000 (1.000 / 1,000)
    scales:     {name: {type: likert, codes: {1: {vi, en}, ...},
                        missing: {9: {vi, en}}, agree_codes: [4, 5]}}
    constructs: {code: {vi, en, reflective: bool, role, stem: {vi, en}}}
    items:      [{code, construct, scale, reverse: bool, vi, en}, ...]
    attributes: [{code, type: categorical, vi, en, values: {code: {vi, en, aliases}},
                  order: [...], missing: {vi, en}}
                 | {code, type: integer, vi, en, range: [min, max],
                    plausible: [min, max]}, ...]

Any label (scale codes, attribute values) may carry ``aliases: [...]``: known
misspellings that cleaning maps to the same code (see :func:`normalize_label`).
    admin:      [column, ...]    # platform columns (id, timestamp, duration)
    personal:   [column, ...]    # personal data: never leave data/raw

Examples
--------
The bundled second instrument (four constructs on a 7-point scale):

>>> from hpmob.codebook import load_codebook
>>> from hpmob.paths import project_root
>>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
>>> cb.reflective_constructs
['SP', 'EN', 'WB', 'TR']
>>> cb.items_of("SP")
['SP1', 'SP2', 'SP3', 'SP4']
"""

from __future__ import annotations

import copy
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

# One definition of "the project root" for every module (honours $HPMOB_ROOT), so the
# codebook is found from notebooks/, papermill's temp dirs and tests alike.
from hpmob.paths import project_root

__all__ = [
    "ATTRIBUTE_TYPES",
    "Codebook",
    "CodebookError",
    "LANGUAGES",
    "MIN_REFLECTIVE_ITEMS",
    "NUMBER_LOCALES",
    "SCALE_TYPES",
    "SECTIONS",
    "codebook_from_dict",
    "codebook_table",
    "load_codebook",
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
_DEFAULT_RELPATH = Path("data") / "codebook.yaml"


# --------------------------------------------------------------------------- errors
class CodebookError(ValueError):
    """The codebook is malformed.

    Every problem found is reported at once (``problems``), each naming the offending
    entry, so one edit-and-reload cycle fixes them all.

    Parameters
    ----------
    source : str
        File path or a description such as ``"<dict>"``.
    problems : list of str
        One message per problem.

    Examples
    --------
    >>> err = CodebookError("codebook.yaml", ["items[0]: no code"])
    >>> err.problems, str(err).splitlines()[0]
    (['items[0]: no code'], 'invalid codebook codebook.yaml (1 problem):')
    """

    def __init__(self, source: str, problems: list[str] | tuple[str, ...] = ()):
        self.source = str(source)
        self.problems = list(problems)
        n = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        msg = (
            f"invalid codebook {self.source} ({n} problem{'s' if n != 1 else ''}):\n"
            f"{lines}\n"
            "Fix these entries in the codebook and load it again."
        )
        super().__init__(msg)

    def __reduce__(self):
        # The default reduce would call CodebookError(message) and lose `problems`;
        # keep the error picklable for joblib/multiprocessing workers.
        return (type(self), (self.source, self.problems))


# ----------------------------------------------------------------------- YAML input
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys.

    PyYAML silently keeps the last of two equal keys, so a second construct under the
    same code or a repeated value code would quietly replace the first. In a codebook that is a
    silent change of the instrument, hence an error with both line numbers.
    """

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<' merge keys legitimately repeat/override keys
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # unhashable key: let SafeLoader raise its own error
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined at line {first + 1}); "
                    "each key may appear only once in a mapping: rename or merge the entries",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


#: Largest codebook read (the shipped one is about 40 kB).
MAX_CODEBOOK_BYTES = 5 * 2**20
#: Largest number of YAML nodes a codebook may expand to once its aliases (``*name``)
#: are followed. Aliases are shared, not copied, when loaded, but every later walk over
#: the codebook follows them: nine aliases of nine aliases ("billion laughs") are 9⁹
#: nodes to walk from a few hundred bytes. The shipped codebook has about 3,000 nodes.
MAX_YAML_NODES = 200_000


def _expanded_size(node, memo: dict) -> int:
    """Number of nodes ``node`` stands for with every alias followed (shared subtrees counted each time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once; SafeLoader refuses to construct it anyway
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = min(size, MAX_YAML_NODES + 1)  # capped so the sum stays a small integer
    return memo[key]


class _TooLarge(ValueError):
    """A YAML document that would expand beyond :data:`MAX_YAML_NODES`."""


def _load_yaml(text: str):
    """Parse codebook YAML, refusing documents whose aliases expand beyond :data:`MAX_YAML_NODES`."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_YAML_NODES:
            raise _TooLarge(
                f"the aliases (*name) expand to more than {MAX_YAML_NODES:,} entries (an 'alias bomb'?); "
                "a codebook needs only a few thousand, so write the entries out instead of aliasing them")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return (
        f"YAML syntax error at {where}: {detail}. Check the indentation and quoting "
        "around that line (text containing ':' or '#' must be quoted)"
    )


# ----------------------------------------------------------------------- validation
def _is_int(x: Any) -> bool:
    # bool is a subclass of int; `yes`/`true` must never pass as a response code.
    return isinstance(x, int) and not isinstance(x, bool)


def _fmt_list(xs) -> str:
    return ", ".join(str(x) for x in xs) if xs else "(none)"


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
        problems.append(f"{where}: expected a mapping with {_fmt_list(keys)} text; got {entry!r}")
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
        problems.append(f"meta.number_locale: one of {_fmt_list(NUMBER_LOCALES)} (or leave it out); got {locale!r}")
    langs = meta.get("languages")
    if not isinstance(langs, list) or set(LANGUAGES) - set(langs):
        problems.append(f"meta.languages: must list {_fmt_list(LANGUAGES)}; got {langs!r}")


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
            problems.append(f"{where}: type must be one of {_fmt_list(SCALE_TYPES)}; got {spec.get('type')!r}")
        codes = spec.get("codes")
        if not isinstance(codes, Mapping) or not codes:
            problems.append(f"{where}.codes: expected a non-empty mapping of integer code -> {{vi, en}} labels")
            continue
        bad = [c for c in codes if not _is_int(c)]
        if bad:
            problems.append(
                f"{where}.codes: codes {_fmt_list(repr(c) for c in bad)} are not integers; "
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
                f"{where}: unknown construct {con!r}; use one of {_fmt_list(constructs)} "
                "or add it under 'constructs'"
            )
        if scales_ok and sc not in scales:
            problems.append(f"{where}: unknown scale {sc!r}; use one of {_fmt_list(sorted(scales))} or add it under 'scales'")
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
                f"constructs.{con}: its items use different scales ({_fmt_list(sorted(scs))}); "
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
                    f"({_fmt_list(values)}); got {order!r}"
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
            problems.append(f"{where}: type must be one of {_fmt_list(ATTRIBUTE_TYPES)}; got {typ!r}")


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
                f"column '{code}' is defined in more than one section ({_fmt_list(secs)}); "
                "codes must be unique across items, attributes, admin and personal"
            )


def _validate(d: Any) -> list[str]:
    """Return every problem found in codebook dict `d` (empty list when valid)."""
    if not isinstance(d, Mapping):
        return [f"top level must be a mapping with sections {_fmt_list(SECTIONS)}; got {type(d).__name__}"]
    problems: list[str] = []
    for s in SECTIONS:
        if s not in d:
            problems.append(f"missing top-level section '{s}'; add it (required sections: {_fmt_list(SECTIONS)})")
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


# ---------------------------------------------------------------------- tidy tables
def _build_tables(d: Mapping) -> dict[str, pd.DataFrame]:
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


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {_fmt_list(repr(x) for x in LANGUAGES)}; got {lang!r}")


# ------------------------------------------------------------------------- Codebook
@dataclass(frozen=True, repr=False)
class Codebook:
    """A validated survey codebook.

    Build one with :func:`load_codebook` (from YAML) or :func:`codebook_from_dict`.
    Construction validates the dict and raises :class:`CodebookError` listing every
    problem. The input dict is deep-copied and the table properties return copies.
    Treat ``data`` as read-only (the tables are built from it once); to change a
    codebook, derive a new one with :meth:`with_reverse` or by editing
    :meth:`to_dict` and passing it to :func:`codebook_from_dict`.

    Parameters
    ----------
    data : dict
        Parsed codebook (see the module docstring for the schema).
    source : str, default "<dict>"
        Where the codebook came from; used in error messages.
    path : pathlib.Path or None
        The YAML file, when loaded from one.

    Examples
    --------
    >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
    >>> cb.items.head(2)[["code", "construct", "reverse"]]
      code construct  reverse
    0  SP1        SP    False
    1  SP2        SP    False
    >>> cb.value_labels("agree7", lang="en")[7]
    'Strongly agree'
    """

    data: dict
    source: str = field(default="<dict>", compare=False)
    path: Path | None = field(default=None, compare=False)
    _tables: dict = field(init=False, repr=False, compare=False)

    # A dict field makes the generated hash fail obscurely; say plainly it is unhashable.
    __hash__ = None  # type: ignore[assignment]

    def __post_init__(self):
        # Deep copy so later edits to the caller's dict cannot bypass validation.
        object.__setattr__(self, "data", copy.deepcopy(self.data))
        problems = _validate(self.data)
        if problems:
            raise CodebookError(self.source, problems)
        object.__setattr__(self, "_tables", _build_tables(self.data))

    def __repr__(self) -> str:
        return (
            f"Codebook({self.source!r}: {len(self.data['constructs'])} constructs, "
            f"{len(self.data['items'])} items, {len(self.data['attributes'])} attributes)"
        )

    # --- tidy tables (copies, so callers may modify them freely)
    @property
    def items(self) -> pd.DataFrame:
        """Items in file order: code, construct, scale, reverse, text_vi, text_en.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.items[["code", "construct", "reverse"]].head(2)
          code construct  reverse
        0  SP1        SP    False
        1  SP2        SP    False
        """
        return self._tables["items"].copy()

    @property
    def constructs(self) -> pd.DataFrame:
        """Constructs in file order: code, label_vi, label_en, reflective, role, n_items.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.constructs[["code", "n_items"]].head(2)
          code  n_items
        0   SP        4
        1   EN        4
        """
        return self._tables["constructs"].copy()

    @property
    def scales(self) -> pd.DataFrame:
        """Scales in long format: scale, code, label_vi, label_en, is_missing.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.scales.columns.tolist()
        ['scale', 'code', 'label_vi', 'label_en', 'is_missing']
        """
        return self._tables["scales"].copy()

    @property
    def attributes(self) -> pd.DataFrame:
        """Attributes: code, type, label_vi, label_en, values (ordered tuple or None), range ((min, max) or None).

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.attributes[["code", "type"]].head(2)
            code         type
        0  level  categorical
        1   area  categorical
        """
        return self._tables["attributes"].copy()

    # --- column lists
    @property
    def admin_columns(self) -> list[str]:
        """Platform columns (respondent id, submission time, duration).

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.admin_columns
        ['respondent_id', 'submitted_at', 'duration_sec']
        """
        return list(self.data["admin"])

    @property
    def personal_columns(self) -> list[str]:
        """Personal-data columns, which must never leave ``data/raw``.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> len(cb.personal_columns) > 0
        True
        """
        return list(self.data["personal"])

    @property
    def attribute_columns(self) -> list[str]:
        """Respondent attribute columns in file order.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.attribute_columns[:3]
        ['level', 'area', 'position']
        """
        return [a["code"] for a in self.data["attributes"]]

    @property
    def item_columns(self) -> list[str]:
        """Item columns in file order.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.item_columns[:5]
        ['SP1', 'SP2', 'SP3', 'SP4', 'EN1']
        """
        return [it["code"] for it in self.data["items"]]

    @property
    def expected_columns(self) -> list[str]:
        """All columns of a raw export: admin + personal + attributes + items.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> len(cb.expected_columns) == len(cb.admin_columns + cb.personal_columns + cb.attribute_columns + cb.item_columns)
        True
        """
        return self.admin_columns + self.personal_columns + self.attribute_columns + self.item_columns

    # --- constructs and items
    @property
    def reflective_constructs(self) -> list[str]:
        """Codes of reflective constructs (the ones modelled as latent factors).

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.reflective_constructs
        ['SP', 'EN', 'WB', 'TR']
        """
        return [c for c, spec in self.data["constructs"].items() if spec["reflective"]]

    @property
    def reverse_items(self) -> list[str]:
        """Codes of reverse-keyed items.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.reverse_items
        ['EN4']
        """
        return [it["code"] for it in self.data["items"] if it["reverse"]]

    def items_of(self, construct: str) -> list[str]:
        """Return the item codes of `construct`, in file order.

        Parameters
        ----------
        construct : str
            A construct code.

        Returns
        -------
        list of str
            Its items; an unknown construct is a ``KeyError``.

        Examples
        --------
        >>> load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").items_of("TR")
        ['TR1', 'TR2', 'TR3']
        """
        if construct not in self.data["constructs"]:
            raise KeyError(
                f"unknown construct {construct!r}; codebook has {_fmt_list(self.data['constructs'])}"
            )
        return [it["code"] for it in self.data["items"] if it["construct"] == construct]

    def _item(self, code: str) -> dict:
        for it in self.data["items"]:
            if it["code"] == code:
                return it
        raise KeyError(f"unknown item {code!r}; items are {_fmt_list(self.item_columns)}")

    def _scale_name(self, name: str) -> str:
        """Resolve a scale name or an item code to the scale name."""
        if name in self.data["scales"]:
            return name
        if name in self.item_columns:
            return self._item(name)["scale"]
        raise KeyError(
            f"{name!r} is neither a scale ({_fmt_list(self.data['scales'])}) nor an item code"
        )

    def scale_of(self, item: str) -> str:
        """Return the name of the response scale of `item`.

        Parameters
        ----------
        item : str
            An item code.

        Returns
        -------
        str
            The scale's name, a key of the codebook's ``scales``.

        Examples
        --------
        >>> load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").scale_of("SP1")
        'agree7'
        """
        return self._item(item)["scale"]

    def scale_range(self, scale_or_item: str) -> tuple[int, int]:
        """Return (lowest, highest) valid code of a scale; reverse keying maps x to lo + hi - x.

        Parameters
        ----------
        scale_or_item : str
            A scale's name or an item code.

        Returns
        -------
        tuple of int
            The lowest and the highest code.

        Examples
        --------
        >>> load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").scale_range("SP4")
        (1, 7)
        """
        codes = self.data["scales"][self._scale_name(scale_or_item)]["codes"]
        return min(codes), max(codes)

    def missing_codes(self, scale_or_item: str) -> list[int]:
        """Return the codes that mean "no answer" on a scale (to be set to missing, not averaged).

        Parameters
        ----------
        scale_or_item : str
            A scale's name or an item code.

        Returns
        -------
        list of int
            The scale's missing codes, sorted; empty if it declares none.

        Examples
        --------
        >>> load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").missing_codes("SP1")
        [9]
        """
        return sorted(self.data["scales"][self._scale_name(scale_or_item)].get("missing") or {})

    def agree_codes(self, scale_or_item: str) -> list[int]:
        """Return the codes counted as agreement (e.g. 4–5) when reporting the share agreeing.

        Parameters
        ----------
        scale_or_item : str
            A scale's name or an item code (its scale is used).

        Returns
        -------
        list of int
            The scale's ``agree_codes``; empty if it declares none.

        Examples
        --------
        >>> load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").agree_codes("SP1")
        [5, 6, 7]
        """
        return list(self.data["scales"][self._scale_name(scale_or_item)].get("agree_codes") or [])

    def value_labels(self, scale_or_attribute: str, lang: str = "vi",
                     include_missing: bool = True) -> dict[int | str, str]:
        """Map codes to labels for a scale, an item (its scale) or a categorical attribute.

        Parameters
        ----------
        scale_or_attribute : str
            Scale name (``"agree7"``), item code (``"SP1"``) or categorical attribute
            code (``"gender"``).
        lang : {"vi", "en"}
        include_missing : bool, default True
            For scales, also include the "no answer" codes (e.g. 9).

        Returns
        -------
        dict
            ``{code: label}``; integer codes for scales, value codes (in the
            attribute's ``order``) for attributes.

        Examples
        --------
        >>> load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").value_labels("gender", lang="en")
        {'male': 'Male', 'female': 'Female'}
        """
        _check_lang(lang)
        name = scale_or_attribute
        if name in self.data["scales"] or name in self.item_columns:
            spec = self.data["scales"][self._scale_name(name)]
            out: dict[int | str, str] = {c: spec["codes"][c][lang] for c in sorted(spec["codes"])}
            if include_missing:
                out.update({c: lab[lang] for c, lab in sorted((spec.get("missing") or {}).items())})
            return out
        for at in self.data["attributes"]:
            if at["code"] == name:
                if at["type"] != "categorical":
                    raise ValueError(f"attribute {name!r} is {at['type']}, not categorical; it has no value labels")
                order = at.get("order") or list(at["values"])
                return {v: at["values"][v][lang] for v in order}
        raise KeyError(
            f"{name!r} is not a scale, item or attribute; scales are {_fmt_list(self.data['scales'])}, "
            f"attributes are {_fmt_list(self.attribute_columns)}"
        )

    def _attribute(self, code: str) -> dict:
        for at in self.data["attributes"]:
            if at["code"] == code:
                return at
        raise KeyError(f"unknown attribute {code!r}; attributes are {_fmt_list(self.attribute_columns)}")

    @property
    def number_locale(self) -> str | None:
        """How the export writes numbers: ``"vi"`` (1.000,5), ``"en"`` (1,000.5) or ``None`` (undeclared).

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> load_codebook().number_locale in ("vi", "en", None)
        True
        """
        return self.data["meta"].get("number_locale")

    def column_kind(self, column: str) -> str:
        """Tell what a raw-export column is: ``admin``, ``personal``, ``categorical``, ``integer`` or ``item``.

        Parameters
        ----------
        column : str
            A column of the export.

        Returns
        -------
        str
            Its kind; a column the codebook does not know is a ``KeyError``.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
        >>> cb.column_kind("SP1"), cb.column_kind("gender"), cb.column_kind("age")
        ('item', 'categorical', 'integer')
        """
        if column in self.admin_columns:
            return "admin"
        if column in self.personal_columns:
            return "personal"
        if column in self.item_columns:
            return "item"
        return self._attribute(column)["type"]

    def label_lookup(self, column: str) -> dict[str, int | str | None]:
        """Map every accepted spelling of a column's labels to its code.

        Keys are :func:`normalize_label` forms of the Vietnamese and English labels and
        of the codebook's ``aliases`` (known misspellings). For items, the "no answer"
        label maps to its missing code (e.g. 9); for categorical attributes it maps to
        ``None``. Item columns also accept the bare numeric codes (``"4"``), as some
        platforms export codes rather than labels.

        Parameters
        ----------
        column : str
            An item or a categorical attribute.

        Returns
        -------
        dict
            Normalized spelling to code (None for a categorical attribute's "no answer").

        Examples
        --------
        >>> lookup = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").label_lookup("SP1")
        >>> lookup[normalize_label("ĐỒNG Ý")], lookup["không trả lời"], lookup["4"]
        (6, 9, 4)
        """
        out: dict[str, int | str | None] = {}
        if column in self.item_columns:
            spec = self.data["scales"][self.scale_of(column)]
            entries = [*spec["codes"].items(), *(spec.get("missing") or {}).items()]
            for code in [*spec["codes"], *(spec.get("missing") or {})]:
                out[str(code)] = code
        else:
            at = self._attribute(column)
            if at["type"] != "categorical":
                raise ValueError(f"attribute {column!r} is {at['type']}; it has no labels to look up")
            entries = list(at["values"].items())
            if isinstance(at.get("missing"), Mapping):
                entries.append((None, at["missing"]))
        for code, lab in entries:
            for text in [lab["vi"], lab["en"], *lab.get("aliases", [])]:
                out[normalize_label(text)] = code
        return out

    def integer_bounds(self, column: str) -> dict[str, tuple[int, int]]:
        """Return the hard ``range`` and ``plausible`` bounds of an integer attribute.

        A value outside ``range`` cannot be right (a data-entry or export error: the
        validator rejects the file); a value inside ``range`` but outside ``plausible``
        (age 4) is a respondent-level problem that the cleaning step excludes with a
        logged reason. Without ``plausible``, the two coincide.

        Parameters
        ----------
        column : str
            An integer attribute.

        Returns
        -------
        dict
            ``{"range": (lo, hi), "plausible": (lo, hi)}``.

        Examples
        --------
        >>> load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").integer_bounds("age")
        {'range': (0, 120), 'plausible': (18, 70)}
        """
        at = self._attribute(column)
        if at["type"] != "integer":
            raise ValueError(f"attribute {column!r} is {at['type']}, not integer")
        rng = tuple(at["range"])
        return {"range": rng, "plausible": tuple(at.get("plausible", rng))}

    # --- derived copies
    def to_dict(self) -> dict:
        """Return a deep copy of the codebook dict (safe to modify).

        Returns
        -------
        dict
            The codebook's sections as loaded.

        Examples
        --------
        >>> sorted(load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").to_dict())
        ['admin', 'attributes', 'constructs', 'items', 'meta', 'personal', 'scales']
        """
        return copy.deepcopy(self.data)

    def with_reverse(self, item: str, flag: bool = True) -> Codebook:
        """Return a copy with the reverse-keying flag of `item` set to `flag`.

        Useful to test that scoring honours the codebook rather than hard-coded items.

        Parameters
        ----------
        item : str
            An item code.
        flag : bool
            The new ``reverse`` flag.

        Returns
        -------
        Codebook
            A new codebook; this one is unchanged.

        Examples
        --------
        >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").with_reverse("SP1", True)
        >>> bool(cb.items.set_index("code").loc["SP1", "reverse"])
        True
        """
        d = self.to_dict()
        for it in d["items"]:
            if it["code"] == item:
                it["reverse"] = flag
                break
        else:
            raise KeyError(f"unknown item {item!r}; items are {_fmt_list(self.item_columns)}")
        return Codebook(d, source=f"{self.source} (reverse of {item} set to {flag!r})", path=None)


# ----------------------------------------------------------------------- public API
def codebook_from_dict(d: Mapping, source: str = "<dict>") -> Codebook:
    """Build and validate a :class:`Codebook` from an in-memory dict.

    Parameters
    ----------
    d : mapping
        Codebook with the sections listed in :data:`SECTIONS`. It is deep-copied.
    source : str, default "<dict>"
        Name used in error messages.

    Returns
    -------
    Codebook
        The validated codebook.

    Raises
    ------
    CodebookError
        Listing every problem found.

    Examples
    --------
    >>> d = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml").to_dict()
    >>> d["items"][0]["scale"] = "agree5"
    >>> codebook_from_dict(d, source="edited")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hpmob.codebook.CodebookError: invalid codebook edited (1 problem):
      - items[0] (SP1): unknown scale 'agree5'; use one of agree7 or add it under 'scales'
    ...
    """
    return Codebook(d, source=source)


def load_codebook(path: str | os.PathLike | None = None) -> Codebook:
    """Read and validate the survey codebook from YAML.

    Parameters
    ----------
    path : str or path-like, optional
        Codebook file. Default: ``data/codebook.yaml`` under the project root
        (see :func:`hpmob.paths.project_root`; ``$HPMOB_ROOT`` overrides it).

    Returns
    -------
    Codebook
        The validated codebook; its ``source`` is the file's path.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    CodebookError
        On YAML syntax errors (with line and column), duplicate keys, or any schema
        problem; all schema problems are listed in one error.

    Examples
    --------
    >>> cb = load_codebook(project_root() / "examples" / "wellbeing" / "codebook.yaml")
    >>> cb.expected_columns[:4]
    ['respondent_id', 'submitted_at', 'duration_sec', 'full_name']
    >>> len(cb.items_of("WB"))
    4
    """
    p = Path(path) if path is not None else project_root() / _DEFAULT_RELPATH
    if not p.is_file():
        raise FileNotFoundError(
            f"codebook not found: {p}; pass the path to codebook.yaml, e.g. "
            "load_codebook('data/codebook.yaml')"
        )
    if p.stat().st_size > MAX_CODEBOOK_BYTES:
        raise CodebookError(str(p), [f"file is {p.stat().st_size:,} bytes; a codebook is at most "
                                     f"{MAX_CODEBOOK_BYTES:,} (hpmob.codebook.MAX_CODEBOOK_BYTES): is this the codebook?"])
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CodebookError(str(p), [f"file is not UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8"]) from None
    try:
        data = _load_yaml(text)
    except _TooLarge as exc:
        raise CodebookError(str(p), [str(exc)]) from None
    except yaml.YAMLError as exc:
        raise CodebookError(str(p), [_yaml_problem(exc)]) from None
    except RecursionError:  # PyYAML composes recursively: thousands of nested brackets
        raise CodebookError(str(p), ["YAML nested too deeply to be a codebook (thousands of levels); "
                                     "check the brackets and indentation"]) from None
    return Codebook(data, source=str(p), path=p)


def codebook_table(codebook: Codebook, lang: str = "en") -> pd.DataFrame:
    """Codebook appendix table: one row per item, wording in both languages.

    Parameters
    ----------
    codebook : Codebook
        The instrument to list.
    lang : {"en", "vi"}, default "en"
        Language of the construct labels and scale descriptions.

    Returns
    -------
    pandas.DataFrame
        Columns ``construct`` (code), ``construct_label``, ``code``, ``wording_vi``,
        ``wording_en``, ``scale`` (e.g. "1–5 (Strongly disagree … Strongly agree)")
        and ``reversed`` (bool), in file order.

    Examples
    --------
    >>> tab = codebook_table(load_codebook(), lang="en")
    >>> tab.loc[0, "scale"]
    '1–5 (Strongly disagree … Strongly agree)'
    """
    _check_lang(lang)
    if not isinstance(codebook, Codebook):
        raise TypeError(f"codebook must be a Codebook (see load_codebook); got {type(codebook).__name__}")
    items = codebook.items
    cons = codebook.data["constructs"]

    def describe(scale: str) -> str:
        lo, hi = codebook.scale_range(scale)
        labels = codebook.value_labels(scale, lang=lang, include_missing=False)
        return f"{lo}–{hi} ({labels[lo]} … {labels[hi]})"

    return pd.DataFrame(
        {
            "construct": items["construct"],
            "construct_label": [cons[c][lang] for c in items["construct"]],
            "code": items["code"],
            "wording_vi": items["text_vi"],
            "wording_en": items["text_en"],
            "scale": [describe(s) for s in items["scale"]],
            "reversed": items["reverse"],
        }
    )
