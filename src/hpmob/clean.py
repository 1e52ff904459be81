"""Clean a validated raw export: recode labels, exclude with logged reasons, pseudonymize.

Every cleaning rule is explicit, has a named threshold in :class:`CleaningRules`, and
is applied in a fixed order (CONSORT style): a respondent excluded by an earlier rule
is not examined by later ones, so each excluded respondent has exactly one logged
reason and the flow ``raw → excluded by rule → analysed`` adds up.

Rules, in order:

1. ``duplicate``       — a later submission by the same person (same name and phone;
   without personal columns, the same answers to every question). The first is kept.
   A respondent without a name or phone is never a duplicate of anyone.
2. ``item_nonresponse`` — more than ``max_item_missing`` of the items blank or "no answer"
   (this also catches unit nonresponse: submissions abandoned after a few questions).
3. ``speeder``          — completion time below ``speeder_fraction`` × the median time.
4. ``straight_liner``   — the same answer to every answered agreement item although the
   scale has reverse-keyed items (at least ``straightline_min_items`` answered).
5. ``impossible_value`` — an attribute outside the codebook's plausible bounds (age 4) or
   inconsistent with another (years in post > age − ``min_age_at_entry``).
6. ``no_group_value``   — no value of an attribute in ``require_value`` (blank or "no
   answer"). The caller declares it: the study layer names its plan's grouping variable
   when the plan says ``missing: exclude``, so that the models within and across groups
   use the same respondents and no difference of their N gives the number without a
   group away.

Then a degenerate design is repaired by a declared rule: a group of a breakdown attribute
(e.g. area or position) with fewer than ``min_group`` analysed respondents is merged
into its neighbour (a ``merged:`` row of the flow), so no table or figure describes, or
fails on, a group of three.

Personal-data columns and the submission timestamp never leave this module:
``responses.csv`` carries a pseudonymous ``resp_id`` (``R`` + submission order), the
attributes as codes and the answers as codes 1–5 (empty = missing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hpmob.codebook import Codebook, load_codebook, normalize_label
from hpmob.disclosure import merge_small_groups
from hpmob.io import load_export, parse_integer, parse_timestamp, verify_manifest
from hpmob.privacy import MIN_CELL

RULES = ("duplicate", "item_nonresponse", "speeder", "straight_liner", "impossible_value")
#: The rule excluding respondents without a value of a required attribute; applied when
#: :attr:`CleaningRules.require_value` names one, after the rules of :data:`RULES`.
NO_GROUP_VALUE = "no_group_value"


@dataclass(frozen=True)
class CleaningRules:
    """Named thresholds of the exclusion rules (see the module docstring).

    Parameters
    ----------
    speeder_fraction : float
        A submission faster than this fraction of the median completion time is a
        speeder. One third of the median is a common cut-off for web surveys
        (Greszki, Meyer & Schoen 2015 discuss such relative rules).
    max_item_missing : float
        Largest tolerated share of items blank or "no answer".
    straightline_min_items : int
        Answered agreement items needed before identical answers count as
        straight-lining (fewer answers carry too little information).
    min_age_at_entry : int
        Youngest plausible age at which the current post began; years in post above
        ``age - min_age_at_entry`` are impossible.
    apply : tuple of str
        Which rules to apply (all by default); e.g. drop ``"straight_liner"`` for a
        robustness variant.
    min_group : int
        Smallest group of a design attribute that may be analysed and published
        (default :data:`hpmob.privacy.MIN_CELL`, 5).
    merge_small_groups : tuple of str, optional
        Attributes the published tables break down by, whose groups under ``min_group``
        analysed respondents are merged into their neighbour in the codebook's order
        (:func:`hpmob.disclosure.merge_small_groups`). No later table can then describe,
        or fail on, a group of three, and no test statistic or total gives its size
        back, which blanking its cells alone cannot ensure. Each merge is a row of the flow.
        Default (None): every categorical attribute of the codebook; the study layer
        passes the plan's breakdowns (``sample.composition``).
    require_value : tuple of str
        Attributes every analysed respondent must have a value of (none by default);
        a respondent without one is excluded by rule ``no_group_value``, a row of the
        flow after the other rules.

    Examples
    --------
    >>> from hpmob.clean import CleaningRules
    >>> rules = CleaningRules(apply=("duplicate", "speeder"))
    >>> rules.apply, round(rules.speeder_fraction, 3)
    (('duplicate', 'speeder'), 0.333)
    """

    speeder_fraction: float = 1 / 3
    max_item_missing: float = 0.20
    straightline_min_items: int = 10
    min_age_at_entry: int = 16
    apply: tuple[str, ...] = RULES
    min_group: int = MIN_CELL
    merge_small_groups: tuple[str, ...] | None = None
    require_value: tuple[str, ...] = ()

    def __post_init__(self):
        unknown = set(self.apply) - set(RULES)
        if unknown:
            raise ValueError(f"unknown cleaning rule(s) {sorted(unknown)}; rules are {', '.join(RULES)}")
        if not 0 < self.speeder_fraction < 1:
            raise ValueError(f"speeder_fraction must lie in (0, 1), not {self.speeder_fraction}")
        if not 0 <= self.max_item_missing < 1:
            raise ValueError(f"max_item_missing must lie in [0, 1), not {self.max_item_missing}")


@dataclass(frozen=True)
class CleaningResult:
    """What cleaning produced: analysed responses, the exclusion log and the flow.

    Parameters
    ----------
    responses : DataFrame
        One row per analysed respondent: ``resp_id``, attributes as codes, items as codes.
    exclusions : DataFrame
        ``resp_id, rule, detail``: one row per excluded submission.
    flow : DataFrame
        The CONSORT-style flow (:func:`consort_flow`).
    rules : CleaningRules
        The rules applied.
    merges : DataFrame, optional
        ``attribute, group, merged_into, reason`` of the small groups merged.

    Examples
    --------
    >>> from hpmob.clean import clean_export
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> raw = load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
    >>> result = clean_export(raw)
    >>> len(result.responses), len(result.exclusions), result.exclusions.columns.tolist()
    (468, 52, ['resp_id', 'rule', 'detail'])
    """

    responses: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    rules: CleaningRules
    merges: pd.DataFrame | None = None  #: ``attribute, group, merged_into, reason`` of small groups merged


def recode_export(raw: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Map a validated export's labels to codes.

    Items become nullable integers (``<NA>`` for blank and for "no answer"), categorical
    attributes their value codes (``<NA>`` for blank or "no answer"), integer attributes
    nullable integers. Personal and admin columns are passed through unchanged (they are
    dropped later, after duplicate detection and the speeder rule have used them).

    Parameters
    ----------
    raw : DataFrame
        A validated export (:func:`hpmob.io.load_export`): text cells.
    codebook : Codebook, optional
        The labels and codes; default the shipped one.

    Returns
    -------
    DataFrame
        The codebook's expected columns, recoded as above, rows as in ``raw``.

    Raises
    ------
    KeyError
        If a label is unknown: run :func:`hpmob.io.validate_export` first.

    Examples
    --------
    >>> from hpmob.clean import recode_export
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> raw = load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
    >>> coded = recode_export(raw)
    >>> raw["gender"].iloc[0], coded["gender"].iloc[0], str(coded["age"].dtype)
    ('Nam', 'male', 'Int64')
    """
    cb = codebook or load_codebook()
    out = pd.DataFrame(index=raw.index)
    for col in cb.expected_columns:
        kind = cb.column_kind(col)
        values = raw[col].astype(str)
        if kind == "integer" or col == "duration_sec":
            out[col] = pd.array([parse_integer(v, cb.number_locale) if v.strip() else None for v in values],
                                dtype="Int64")
        elif kind in ("admin", "personal"):
            out[col] = values
        else:
            lookup = cb.label_lookup(col)
            codes = [lookup[normalize_label(v)] if v.strip() else None for v in values]
            if kind == "item":
                missing = set(cb.missing_codes(col))
                out[col] = pd.array([None if c in missing else c for c in codes], dtype="Int64")
            else:
                out[col] = pd.array(codes, dtype="string")
    return out


def _person_key(coded: pd.DataFrame, cb: Codebook) -> pd.Series:
    """A key equal for two rows only if they are the same person.

    With personal columns, the key is name and phone; a row missing either has no
    identifying value and gets a key of its own, so anonymous respondents are never
    taken for one another (40 blank-name respondents are 40 people, not one). Only a
    codebook without personal columns falls back to identical answers.
    """
    personal = [c for c in ("full_name", "phone") if c in cb.personal_columns and c in coded]
    if personal:
        present = coded[personal].apply(lambda s: s.astype(str).str.strip() != "").all(axis=1)
        name = coded[personal[0]].map(normalize_label)
        rest = coded[personal[1:]].apply(lambda s: s.str.replace(r"\D", "", regex=True)).agg("|".join, axis=1) \
            if len(personal) > 1 else ""
        # NUL starts no name or phone, so these keys cannot meet a real one
        own = "\0anonymous:" + coded.index.to_series().astype(str)
        return (name + "|" + rest).where(present, own)
    # Without personal data, only an identical answer to every question betrays a resubmission.
    cols = cb.attribute_columns + cb.item_columns
    return coded[cols].astype(str).agg("|".join, axis=1)


def flag_exclusions(coded: pd.DataFrame, codebook: Codebook | None = None,
                    rules: CleaningRules = CleaningRules()) -> pd.DataFrame:
    """Apply the exclusion rules in order and log one reason per excluded row.

    Parameters
    ----------
    coded : DataFrame
        Output of :func:`recode_export` (rows in submission order).
    codebook : Codebook, optional
        The instrument; default the shipped one.
    rules : CleaningRules
        The exclusion rules and their thresholds.

    Returns
    -------
    DataFrame
        ``row, rule, detail``: the 0-based row of ``coded`` and why it is excluded.

    Examples
    --------
    >>> from hpmob.clean import flag_exclusions, recode_export
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> raw = load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
    >>> log = flag_exclusions(recode_export(raw))
    >>> log["rule"].value_counts().sort_index().to_dict()
    {'duplicate': 13, 'impossible_value': 6, 'item_nonresponse': 13, 'speeder': 10, 'straight_liner': 10}
    """
    cb = codebook or load_codebook()
    items = cb.item_columns
    excluded: dict[int, tuple[str, str]] = {}

    def mark(mask: pd.Series, rule: str, detail) -> None:
        for i in mask.index[mask.fillna(False).astype(bool)]:
            if i not in excluded:
                excluded[i] = (rule, detail(i) if callable(detail) else detail)

    if "duplicate" in rules.apply:
        # rows are in submission order, so the first row of each person is the first submission
        key = _person_key(coded, cb)
        first = coded.index.to_series().groupby(key.values).transform("first")
        ids = coded["resp_id"] if "resp_id" in coded else coded.index.to_series().map(lambda i: f"row {i}")
        mark(first != first.index.to_series(),
             "duplicate", lambda i: f"resubmission by the same person as {ids[first[i]]}; first submission kept")
    if "item_nonresponse" in rules.apply:
        share = coded[items].isna().mean(axis=1)
        mark(share > rules.max_item_missing, "item_nonresponse",
             lambda i: f"{share[i]:.0%} of {len(items)} items blank or no answer (limit {rules.max_item_missing:.0%})")
    if "speeder" in rules.apply and "duration_sec" in coded:
        limit = rules.speeder_fraction * float(coded["duration_sec"].median())
        mark(coded["duration_sec"] < limit, "speeder",
             lambda i: f"completed in {coded.at[i, 'duration_sec']} s, under {rules.speeder_fraction:.2f} × "
                       f"median = {limit:.0f} s")
    if "straight_liner" in rules.apply:
        scale = cb.scale_of(cb.reverse_items[0]) if cb.reverse_items else None
        agree = [c for c in items if cb.scale_of(c) == scale]
        if agree:
            answered = coded[agree].notna().sum(axis=1)
            spread = coded[agree].astype("float").std(axis=1, ddof=0)
            mask = (answered >= rules.straightline_min_items) & (spread == 0)
            mark(mask, "straight_liner",
                 lambda i: f"same answer ({int(coded.loc[i, agree].dropna().iloc[0])}) to all {answered[i]} answered "
                           f"agreement items, reverse-keyed ones included")
    if "impossible_value" in rules.apply:
        problems = pd.Series("", index=coded.index)
        for col in cb.attribute_columns:
            if cb.column_kind(col) != "integer":
                continue
            lo, hi = cb.integer_bounds(col)["plausible"]
            bad = (coded[col] < lo) | (coded[col] > hi)
            problems = problems.where(~bad.fillna(False), problems + f"{col} = " + coded[col].astype(str)
                                      + f" outside {lo}–{hi}; ")
        if {"age", "years_in_post"} <= set(coded.columns):
            bad = coded["years_in_post"] > coded["age"] - rules.min_age_at_entry
            problems = problems.where(
                ~bad.fillna(False),
                problems + "years_in_post = " + coded["years_in_post"].astype(str) + " exceeds age "
                + coded["age"].astype(str) + f" − {rules.min_age_at_entry}; ")
        mark(problems != "", "impossible_value", lambda i: problems[i].rstrip("; "))
    for col in rules.require_value:
        if col not in coded:
            raise KeyError(f"require_value names {col!r}, which is not a column of the export")
        mark(coded[col].isna(), NO_GROUP_VALUE, f"no value of {col} (blank or no answer)")
    log = pd.DataFrame([(i, r, d) for i, (r, d) in sorted(excluded.items())], columns=["row", "rule", "detail"])
    return log


def consort_flow(n_raw: int, exclusions: pd.DataFrame, rules: CleaningRules) -> pd.DataFrame:
    """Build the CONSORT-style flow: raw submissions, exclusions by rule in order, analysed.

    Parameters
    ----------
    n_raw : int
        Raw submissions.
    exclusions : DataFrame
        The exclusion log (a ``rule`` column), one row per excluded submission.
    rules : CleaningRules
        The rules applied; rules not applied get no row.

    Returns
    -------
    DataFrame
        ``step, rule, n_excluded, n_remaining`` with one row per step.

    Examples
    --------
    >>> import pandas as pd
    >>> from hpmob.clean import CleaningRules, consort_flow
    >>> log = pd.DataFrame({"rule": ["duplicate", "speeder", "speeder"]})
    >>> consort_flow(20, log, CleaningRules(apply=("duplicate", "speeder")))
       step             rule  n_excluded  n_remaining
    0     0  raw submissions           0           20
    1     1        duplicate           1           19
    2     3          speeder           2           17
    3     7         analysed           3           17
    """
    counts = exclusions["rule"].value_counts()
    rows = [{"step": 0, "rule": "raw submissions", "n_excluded": 0, "n_remaining": n_raw}]
    remaining = n_raw
    for k, rule in enumerate((*RULES, NO_GROUP_VALUE), start=1):
        if rule not in rules.apply and not (rule == NO_GROUP_VALUE and rules.require_value):
            continue
        n = int(counts.get(rule, 0))
        remaining -= n
        rows.append({"step": k, "rule": rule, "n_excluded": n, "n_remaining": remaining})
    rows.append({"step": len(RULES) + 2, "rule": "analysed", "n_excluded": n_raw - remaining,
                 "n_remaining": remaining})
    return pd.DataFrame(rows)


def clean_export(raw: pd.DataFrame, codebook: Codebook | None = None,
                 rules: CleaningRules = CleaningRules()) -> CleaningResult:
    """Recode, exclude with reasons and pseudonymize a validated export.

    Parameters
    ----------
    raw : DataFrame
        Validated export (:func:`hpmob.io.load_export`), rows in any order.
    codebook : Codebook, optional
        The instrument (labels, scales, attributes); default the shipped one.
    rules : CleaningRules
        The exclusion rules and their thresholds.

    Returns
    -------
    CleaningResult
        ``responses`` (``resp_id``, attributes as codes, items 1–5, one row per analysed
        respondent), ``exclusions`` (``resp_id, rule, detail``), ``flow``.

    Examples
    --------
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> result = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv"))
    >>> result.flow
       step              rule  n_excluded  n_remaining
    0     0   raw submissions           0          520
    1     1         duplicate          13          507
    2     2  item_nonresponse          13          494
    3     3           speeder          10          484
    4     4    straight_liner          10          474
    5     5  impossible_value           6          468
    6     7          analysed          52          468
    """
    cb = codebook or load_codebook()
    coded = recode_export(raw, cb)
    # Submission order defines resp_id, so the same export always gets the same ids.
    if "submitted_at" in coded:
        when = pd.to_datetime(coded["submitted_at"].map(parse_timestamp))
        order = np.lexsort((coded["respondent_id"].to_numpy(), when.to_numpy()))
        coded = coded.iloc[order].reset_index(drop=True)
    width = max(4, len(str(len(coded))))
    coded.insert(0, "resp_id", [f"R{i + 1:0{width}d}" for i in range(len(coded))])
    log = flag_exclusions(coded, cb, rules)
    exclusions = pd.DataFrame({"resp_id": coded.loc[log["row"], "resp_id"].to_numpy(),
                               "rule": log["rule"].to_numpy(), "detail": log["detail"].to_numpy()})
    keep = ~coded.index.isin(log["row"])
    analysed = coded.loc[keep, ["resp_id", *cb.attribute_columns, *cb.item_columns]].reset_index(drop=True)
    flow = consort_flow(len(coded), exclusions, rules)
    merges = []
    breakdowns = rules.merge_small_groups
    if breakdowns is None:
        breakdowns = [a for a in cb.attribute_columns if cb.column_kind(a) == "categorical"]
    for col in breakdowns:
        if col not in analysed or cb.column_kind(col) != "categorical":
            continue
        order = list(cb.value_labels(col, "en"))
        merged, log_col = merge_small_groups(analysed[col], order, rules.min_group)
        analysed[col] = merged.astype(analysed[col].dtype)
        merges += [{"attribute": col, **row} for row in log_col.to_dict("records")]
    if merges:
        # the flow says what happened without the group's size (that is what must not show)
        steps = pd.DataFrame([{"step": len(RULES) + 2, "rule": f"merged: {m['attribute']} {m['group']} into "
                                                                f"{m['merged_into']} ({m['reason']})",
                               "n_excluded": 0, "n_remaining": int(flow["n_remaining"].iloc[-1])} for m in merges])
        flow = pd.concat([flow.iloc[:-1], steps, flow.iloc[-1:].assign(step=len(RULES) + 3)], ignore_index=True)
    return CleaningResult(analysed, exclusions, flow, rules,
                          pd.DataFrame(merges, columns=["attribute", "group", "merged_into", "reason"]))


def write_processed(result: CleaningResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``responses.csv`` and ``exclusions.csv`` (UTF-8, ``\\n``, deterministic).

    Parameters
    ----------
    result : CleaningResult
        What :func:`clean_export` produced.
    out_dir : path-like
        The folder (created if missing).

    Returns
    -------
    dict
        ``{"responses": path, "exclusions": path}``.

    Examples
    --------
    >>> import tempfile
    >>> from hpmob.clean import clean_export, write_processed
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> result = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv"))
    >>> paths = write_processed(result, tempfile.mkdtemp())
    >>> sorted(paths), paths["exclusions"].read_text(encoding="utf-8").splitlines()[0]
    (['exclusions', 'responses'], 'resp_id,rule,detail')
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"responses": out_dir / "responses.csv", "exclusions": out_dir / "exclusions.csv"}
    result.responses.to_csv(paths["responses"], index=False, encoding="utf-8", lineterminator="\n")
    result.exclusions.to_csv(paths["exclusions"], index=False, encoding="utf-8", lineterminator="\n")
    return paths


def read_responses(path: str | Path, codebook: Codebook | None = None) -> pd.DataFrame:
    """Read ``responses.csv`` back with the right types (nullable ints, string codes).

    Parameters
    ----------
    path : path-like
        A ``responses.csv`` written by :func:`write_processed`.
    codebook : Codebook, optional
        Gives the columns' types; default the shipped one.

    Returns
    -------
    DataFrame
        ``resp_id`` and attribute codes as strings, integer attributes and items as
        nullable integers (``Int64``).

    Examples
    --------
    >>> import tempfile
    >>> from hpmob.clean import clean_export, read_responses, write_processed
    >>> from hpmob.io import load_export
    >>> from hpmob.paths import project_root
    >>> raw = load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv")
    >>> paths = write_processed(clean_export(raw), tempfile.mkdtemp())
    >>> back = read_responses(paths["responses"])
    >>> len(back), str(back["resp_id"].dtype), str(back["age"].dtype)
    (468, 'string', 'Int64')
    """
    cb = codebook or load_codebook()
    dtypes = {"resp_id": "string"}
    for col in cb.attribute_columns:
        dtypes[col] = "Int64" if cb.column_kind(col) == "integer" else "string"
    dtypes.update({c: "Int64" for c in cb.item_columns})
    return pd.read_csv(path, dtype=dtypes, encoding="utf-8")


def run_cleaning(raw_path: str | Path, out_dir: str | Path, codebook: Codebook | None = None,
                 rules: CleaningRules = CleaningRules(), *, check_manifest: bool = True) -> CleaningResult:
    """Verify the manifest, load, validate, clean and write the processed files.

    The raw file is opened for reading only; ``check_manifest`` verifies its SHA-256
    against ``MANIFEST.sha256`` in the same folder first.

    Parameters
    ----------
    raw_path : path-like
        The raw export.
    out_dir : path-like
        Where ``responses.csv`` and ``exclusions.csv`` go (created if missing).
    codebook : Codebook, optional
        The instrument; default the shipped one.
    rules : CleaningRules
        The exclusion rules.
    check_manifest : bool
        Verify the raw file against the folder's manifest first.

    Returns
    -------
    CleaningResult
        As :func:`clean_export`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.clean import run_cleaning
    >>> from hpmob.paths import project_root
    >>> out = Path(tempfile.mkdtemp())
    >>> result = run_cleaning(project_root() / "data" / "raw" / "hpmob_survey_export.csv", out)
    >>> sorted(p.name for p in out.iterdir()), int(result.flow["n_remaining"].iloc[-1])
    (['exclusions.csv', 'responses.csv'], 468)
    """
    raw_path = Path(raw_path)
    if check_manifest:
        verify_manifest(raw_path.parent)
    cb = codebook or load_codebook()
    result = clean_export(load_export(raw_path, cb), cb, rules)
    write_processed(result, out_dir)
    return result


def rules_table(rules: CleaningRules) -> pd.DataFrame:
    """Tabulate the thresholds in force as a two-column table for the book.

    Parameters
    ----------
    rules : CleaningRules
        The rules.

    Returns
    -------
    DataFrame
        ``parameter, value``, one row per field of ``rules``.

    Examples
    --------
    >>> from hpmob.clean import CleaningRules, rules_table
    >>> rules_table(CleaningRules())["parameter"].tolist()[:3]
    ['speeder_fraction', 'max_item_missing', 'straightline_min_items']
    """
    return pd.DataFrame([{"parameter": k, "value": v} for k, v in asdict(rules).items()])
