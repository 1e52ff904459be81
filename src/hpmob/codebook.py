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

The schema's constants and checks are in :mod:`hpmob.codebook_schema`, the safe YAML
reader (duplicate keys, alias bombs) in :mod:`hpmob.codebook_yaml`; this module holds the
:class:`Codebook` class and the loaders, and re-exports the public names of both.
Longer than 600 lines because the :class:`Codebook` class alone is about 520: one frozen
dataclass whose accessors (items, scales, labels, attributes), each with its example, are
the codebook's interface, and splitting a class across modules would only scatter it.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from hpmob.checks import format_list

# The schema (constants, checks, tidy tables) and the safe YAML reader are defined in
# hpmob.codebook_schema and hpmob.codebook_yaml; the public names are re-exported here,
# where callers import them from.
from hpmob.codebook_schema import (
    ATTRIBUTE_TYPES,
    LANGUAGES,
    MIN_REFLECTIVE_ITEMS,
    NUMBER_LOCALES,
    SCALE_TYPES,
    SECTIONS,
    check_lang,
    codebook_tables,
    normalize_label,
    validate_codebook,
)
from hpmob.codebook_yaml import MAX_CODEBOOK_BYTES, YamlTooLarge, load_yaml, yaml_problem
from hpmob.codebook_yaml import MAX_YAML_NODES as MAX_YAML_NODES  # outside __all__, as before

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


# ----------------------------------------------------------------------- validation


# ---------------------------------------------------------------------- tidy tables


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
        problems = validate_codebook(self.data)
        if problems:
            raise CodebookError(self.source, problems)
        object.__setattr__(self, "_tables", codebook_tables(self.data))

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
                f"unknown construct {construct!r}; codebook has {format_list(self.data['constructs'])}"
            )
        return [it["code"] for it in self.data["items"] if it["construct"] == construct]

    def _item(self, code: str) -> dict:
        for it in self.data["items"]:
            if it["code"] == code:
                return it
        raise KeyError(f"unknown item {code!r}; items are {format_list(self.item_columns)}")

    def _scale_name(self, name: str) -> str:
        """Resolve a scale name or an item code to the scale name."""
        if name in self.data["scales"]:
            return name
        if name in self.item_columns:
            return self._item(name)["scale"]
        raise KeyError(
            f"{name!r} is neither a scale ({format_list(self.data['scales'])}) nor an item code"
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
        check_lang(lang)
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
            f"{name!r} is not a scale, item or attribute; scales are {format_list(self.data['scales'])}, "
            f"attributes are {format_list(self.attribute_columns)}"
        )

    def _attribute(self, code: str) -> dict:
        for at in self.data["attributes"]:
            if at["code"] == code:
                return at
        raise KeyError(f"unknown attribute {code!r}; attributes are {format_list(self.attribute_columns)}")

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
            raise KeyError(f"unknown item {item!r}; items are {format_list(self.item_columns)}")
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
        data = load_yaml(text)
    except YamlTooLarge as exc:
        raise CodebookError(str(p), [str(exc)]) from None
    except yaml.YAMLError as exc:
        raise CodebookError(str(p), [yaml_problem(exc)]) from None
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
    check_lang(lang)
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
