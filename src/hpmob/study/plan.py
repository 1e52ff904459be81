"""The analysis plan: the study's models and hypotheses as data, checked against the codebook.

A plan (``data/analysis_plan.yaml``) declares what a study tests: the measurement model
(constructs of the codebook), the structural model (paths between constructs and observed
covariates, with the covariates' coding), the grouping variable of the invariance and
latent-mean analysis, the estimator settings, and every hypothesis as a typed test with
its claim in English and Vietnamese. :func:`load_plan` reads it and checks it against the
codebook, reporting every problem at once (file, line, entry and what to do) before
anything runs.

Hypothesis types
----------------
``path``
    ``lhs``, ``rhs``, ``sign`` (``+``/``-``): a declared regression of the structural
    model; supported when its interval lies on the claimed side of zero.
``indirect``
    ``chain`` (three or more constructs or covariates), ``sign``: the product of the
    chain's path labels (a ``defined`` parameter); judged by the plan's
    ``indirect_method`` interval.
``latent_mean_order``
    ``construct``, ``contrast`` (group, reference), ``sign`` (``+``, ``-`` or ``any``),
    optional ``order`` (groups, lowest first): latent means at the invariance level the
    partial-invariance search reached.
``share_above``
    ``construct`` (or ``items``), optional ``threshold``: the share agreeing with the
    construct (composite at or above the lowest agree code) credibly above the threshold.
``ranking``
    ``construct`` (or ``items``): one share per item, ranked, each against the threshold.
``not_testable``
    ``reason`` (en, vi): kept in the claims table with its reason.

Examples
--------
>>> from hpmob.codebook import load_codebook
>>> plan = load_plan(codebook=load_codebook())
>>> [h.id for h in plan.hypotheses][:3]
['H7', 'H6_AW', 'H6']
>>> plan.grouping["order"]
['city', 'district', 'commune']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from hpmob.codebook import Codebook
from hpmob.paths import project_root

__all__ = ["AnalysisPlan", "Hypothesis", "PlanError", "load_plan", "plan_from_dict", "HYPOTHESIS_TYPES",
           "INDIRECT_METHODS"]

HYPOTHESIS_TYPES = ("path", "indirect", "latent_mean_order", "share_above", "ranking", "not_testable")
INDIRECT_METHODS = ("delta", "montecarlo", "bootstrap_percentile", "bootstrap_bc", "bootstrap_bca")
ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "ml")
CODINGS = ("standardize", "dummy", "raw")
SIGNS = ("+", "-", "any")
INVARIANCE_LEVELS = ("metric", "scalar", "strict")
_REQUIRED_FIELDS = {
    "path": ("lhs", "rhs", "sign"),
    "indirect": ("chain", "sign"),
    "latent_mean_order": ("construct", "contrast", "sign"),
    "share_above": (),
    "ranking": (),
    "not_testable": ("reason",),
}
#: What cleaning does with a respondent without a value of the grouping variable:
#: ``exclude`` (rule ``no_group_value`` of :mod:`hpmob.clean`, the default) keeps the
#: models within and across groups on the same respondents, so that the difference of
#: their N cannot give the number without a group away; ``keep`` analyses them wherever
#: the group is not needed.
GROUP_MISSING = ("exclude", "keep")

_TOP_KEYS = ("version", "sample", "measurement", "grouping", "structural", "estimation", "hypotheses", "power")
_DEFAULT = Path("data") / "analysis_plan.yaml"
_LABEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class PlanError(ValueError):
    """The analysis plan does not fit the codebook (or is malformed); every problem listed.

    Parameters
    ----------
    source : str
        The plan file.
    problems : list of str
        One line per problem: ``file:line: entry: problem — what to do``.

    Examples
    --------
    >>> from hpmob.study.plan import PlanError
    >>> err = PlanError("plan.yaml", ["plan.yaml:3: hypotheses[0]: no id — give one"])
    >>> err.problems, str(err).splitlines()[0]
    (['plan.yaml:3: hypotheses[0]: no id — give one'], 'invalid analysis plan plan.yaml (1 problem):')
    """

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = str(source), list(problems)
        n = len(self.problems)
        super().__init__(f"invalid analysis plan {self.source} ({n} problem{'s' if n != 1 else ''}):\n"
                         + "\n".join(f"  - {p}" for p in self.problems)
                         + "\nFix these entries of the plan (or the codebook); nothing was run.")

    def __reduce__(self):
        return (type(self), (self.source, self.problems))


@dataclass(frozen=True)
class Hypothesis:
    """Hold one typed test of the plan: its id, label, type, fields and claim text.

    Parameters
    ----------
    id : str
        The hypothesis id.
    label : str
        Its label in the claims table.
    type : str
        The test (``share_above``, ``ranking``, ``latent_mean_order``, ``path``, ``indirect``,
        ``not_testable``).
    spec : dict
        The test's fields; ``h["construct"]`` and :meth:`get` read them.
    claim : dict
        The claim text, ``{"en": ..., "vi": ...}``.

    Examples
    --------
    >>> from hpmob.study.plan import Hypothesis
    >>> h = Hypothesis("H9", "H9", "path", {"lhs": "Y", "rhs": "X", "sign": "+"}, {"en": "X raises Y", "vi": "X tăng Y"})
    >>> h["lhs"], h.get("threshold"), h.get("sign")
    ('Y', None, '+')
    """

    id: str
    label: str
    type: str
    spec: dict
    claim: dict

    def __getitem__(self, key):
        return self.spec[key]

    def get(self, key, default=None):
        """Return the field ``key`` of the test, or ``default`` when it has none.

        Parameters
        ----------
        key : str
            A field of ``spec``.
        default : object
            Returned for a missing field.

        Returns
        -------
        object
            The field's value.

        Examples
        --------
        >>> h = Hypothesis("H9", "H9", "path", {"lhs": "Y", "rhs": "X"}, {"en": "X raises Y", "vi": "X tăng Y"})
        >>> h.get("rhs"), h.get("sign", "+")
        ('X', '+')
        """
        return self.spec.get(key, default)


@dataclass(frozen=True)
class AnalysisPlan:
    """A validated analysis plan, resolved against one codebook.

    Constructs declared ``optional`` that the codebook lacks are listed in ``absent``; the
    paths through them are left out of the structural model and the hypotheses that need
    them are not testable (:meth:`missing_for`).

    Parameters
    ----------
    source : str
        The plan's file (for messages).
    constructs : list of str
        The measured constructs present in the codebook, in the plan's order.
    absent : list of str
        Optional constructs the codebook lacks.
    grouping : dict
        The grouping variable: ``variable``, ``order``, ``constructs``, ``invariance_target``,
        ``missing`` (empty without one).
    covariates : dict
        Covariate name to its ``source`` attribute and ``coding`` (``dummy``,
        ``standardize``, ``raw``).
    controls : list of str
        Covariates every outcome is regressed on.
    regressions : list of dict
        The structural paths: ``lhs, rhs, label``.
    defined : dict
        Defined parameters (``:=``): name to expression in the labels.
    estimation : dict
        ``estimator, missing, conf, indirect_method, agree_threshold``.
    hypotheses : list of Hypothesis
        The typed tests, in the plan's order.
    power : list of str
        The hypotheses the power analysis reports.
    sample : dict
        ``composition``: the attributes the sample is described by.
    layout : dict, optional
        Node positions of the path diagram.
    raw : dict
        The plan as parsed from YAML.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.study.plan import load_plan
    >>> codebook = load_codebook()
    >>> plan = load_plan(codebook=codebook)
    >>> plan.constructs == [c for c in plan.constructs if c in set(codebook.constructs["code"])], plan.absent
    (True, [])
    >>> plan.hypothesis(plan.hypotheses[0].id) is plan.hypotheses[0]
    True
    """

    source: str
    constructs: list[str]
    absent: list[str]
    grouping: dict
    covariates: dict
    controls: list[str]
    regressions: list[dict]
    defined: dict
    estimation: dict
    hypotheses: list[Hypothesis]
    power: list[str]
    sample: dict = field(default_factory=dict)
    layout: dict | None = None
    raw: dict = field(repr=False, default_factory=dict)

    def with_settings(self, **settings) -> AnalysisPlan:
        """Return a copy with estimation settings replaced (a notebook parameter, a variant).

        ``None`` values are ignored, so callers can pass their parameters through.

        Parameters
        ----------
        **settings
            Settings of ``estimation`` by name; ``None`` values are ignored and an unknown
            name is a ``ValueError``.

        Returns
        -------
        AnalysisPlan
            The new plan; this one is unchanged.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> plan.with_settings(agree_threshold=0.75).estimation["agree_threshold"], plan.estimation["agree_threshold"]
        (0.75, 0.8)
        """
        unknown = [k for k in settings if k not in self.estimation]
        if unknown:
            raise ValueError(f"{self.source}: unknown estimation setting(s) {', '.join(unknown)}; "
                             f"the plan has {', '.join(self.estimation)}")
        est = {**self.estimation, **{k: v for k, v in settings.items() if v is not None}}
        return replace(self, estimation=est)

    def hypotheses_table(self, lang: str = "en"):
        """Tabulate the plan's hypotheses: ``id, hypothesis, type, claim`` and ``specification``.

        Parameters
        ----------
        lang : {"en", "vi"}
            Language of the claim text.

        Returns
        -------
        DataFrame
            One row per hypothesis; ``specification`` lists the typed test's fields.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> load_plan(codebook=load_codebook()).hypotheses_table().iloc[3][["id", "type"]].tolist()
        ['H1', 'path']
        """
        import pandas as pd

        rows = [{"id": h.id, "hypothesis": h.label, "type": h.type, "claim": h.claim[lang],
                 "specification": ", ".join(f"{k}: {v}" for k, v in h.spec.items()
                                            if k not in ("type", "reason", "agree_word"))}
                for h in self.hypotheses]
        return pd.DataFrame(rows, columns=["id", "hypothesis", "type", "claim", "specification"])

    def hypothesis(self, hid: str) -> Hypothesis:
        """Return the hypothesis with id ``hid``.

        Parameters
        ----------
        hid : str
            A hypothesis id of the plan.

        Returns
        -------
        Hypothesis
            The hypothesis; an unknown id is a ``KeyError`` that lists the plan's ids.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> plan.hypothesis("H1").type
        'path'
        """
        for h in self.hypotheses:
            if h.id == hid:
                return h
        raise KeyError(f"{self.source}: no hypothesis {hid!r}; the plan has {', '.join(h.id for h in self.hypotheses)}")

    @property
    def structural_regressions(self) -> list[dict]:
        """Declared regressions whose variables all exist in this codebook.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> len(plan.structural_regressions) == len(plan.regressions)  # no construct absent
        True
        """
        return [r for r in self.regressions if r["lhs"] not in self.absent and r["rhs"] not in self.absent]

    @property
    def structural_constructs(self) -> list[str]:
        """Constructs of the structural model (in codebook order).

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> set(plan.structural_constructs) <= set(plan.constructs)
        True
        """
        used = {v for r in self.structural_regressions for v in (r["lhs"], r["rhs"])}
        return [c for c in self.constructs if c in used]

    @property
    def exogenous_constructs(self) -> list[str]:
        """Constructs of the structural model that no declared path predicts.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> set(plan.exogenous_constructs) <= set(plan.structural_constructs)
        True
        """
        outcomes = {r["lhs"] for r in self.structural_regressions}
        return [c for c in self.structural_constructs if c not in outcomes]

    def cleaning_rules(self, rules=None):
        """Return `rules` (default :class:`hpmob.clean.CleaningRules`) with what the plan declares.

        Parameters
        ----------
        rules : CleaningRules, optional
            The rules to extend.

        Returns
        -------
        CleaningRules
            ``rules``, the grouping variable added as a required value when ``grouping.missing``
            is ``exclude``.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> load_plan(codebook=load_codebook()).cleaning_rules().require_value
        ('level',)
        """
        from dataclasses import replace

        from hpmob.clean import CleaningRules

        rules = CleaningRules() if rules is None else rules
        var = self.grouping.get("variable")
        if var and self.grouping.get("missing", "exclude") == "exclude" and var not in rules.require_value:
            rules = replace(rules, require_value=(*rules.require_value, var))
        return rules

    @property
    def group_constructs(self) -> list[str]:
        """Constructs compared across groups that this codebook has.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> plan.group_constructs == [c for c in plan.grouping["constructs"] if c not in plan.absent]
        True
        """
        return [c for c in self.grouping.get("constructs", []) if c not in self.absent]

    @property
    def estimate_labels(self) -> list[str]:
        """Claims-table labels of the hypotheses judged by one estimate and its interval
        (``path``, ``indirect``, ``latent_mean_order``, ``share_above``), in plan order, each
        once: what a figure of estimates across specifications shows.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> load_plan(codebook=load_codebook()).estimate_labels[:3]
        ['H7', 'H6 (AW)', 'H6']
        """
        kinds = ("path", "indirect", "latent_mean_order", "share_above")
        return list(dict.fromkeys(h.label for h in self.hypotheses if h.type in kinds))

    @property
    def ranking_ids(self) -> list[str]:
        """Ids of the ``ranking`` hypotheses (each names its results table).

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> all(plan.hypothesis(i).type == "ranking" for i in plan.ranking_ids)
        True
        """
        return [h.id for h in self.hypotheses if h.type == "ranking"]

    def missing_for(self, h: Hypothesis) -> list[str]:
        """List the absent constructs that hypothesis ``h`` needs (empty: testable).

        Parameters
        ----------
        h : Hypothesis
            A hypothesis of the plan.

        Returns
        -------
        list of str
            The constructs it names that the codebook lacks.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> [h.id for h in plan.hypotheses if plan.missing_for(h)]
        []
        """
        return [c for c in _constructs_named(h) if c in self.absent]

    def threshold(self, h: Hypothesis) -> float:
        """Return the share threshold of a ``share_above`` or ``ranking`` hypothesis.

        Parameters
        ----------
        h : Hypothesis
            The hypothesis.

        Returns
        -------
        float
            Its own ``threshold``, else the plan's ``estimation.agree_threshold``.

        Examples
        --------
        >>> from hpmob.codebook import load_codebook
        >>> plan = load_plan(codebook=load_codebook())
        >>> h = next(h for h in plan.hypotheses if h.type == "share_above")
        >>> plan.threshold(h) == h.get("threshold", plan.estimation["agree_threshold"])
        True
        """
        return float(h.get("threshold", self.estimation["agree_threshold"]))


def _constructs_named(h) -> list[str]:
    spec = h.spec if isinstance(h, Hypothesis) else h
    kind = spec.get("type")
    if kind == "path":
        return [spec.get("lhs"), spec.get("rhs")]
    if kind == "indirect":
        return list(spec.get("chain") or [])
    if kind in ("latent_mean_order", "share_above", "ranking"):
        return [spec["construct"]] if spec.get("construct") is not None else []
    return []


# --------------------------------------------------------------------------- reading
def _line_index(text: str) -> dict[tuple, int]:
    """Map each YAML path (keys and list indices) to its 1-based line, for messages."""
    lines: dict[tuple, int] = {}

    def walk(node, path):
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(v, path + (k.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,))

    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


class _Problems:
    def __init__(self, source: str, lines: dict):
        self.source, self.lines, self.items = source, lines, []

    def add(self, path: tuple, entry: str, problem: str, todo: str) -> None:
        # the deepest known ancestor gives the line
        p = tuple(path)
        while p and p not in self.lines:
            p = p[:-1]
        line = self.lines.get(p)
        where = f"{self.source}:{line}" if line else self.source
        self.items.append(f"{where}: {entry}: {problem} — {todo}")


def load_plan(path: str | Path | None = None, *, codebook: Codebook) -> AnalysisPlan:
    """Read the analysis plan and check it against ``codebook``.

    Parameters
    ----------
    path : str or Path, optional
        The plan; defaults to ``data/analysis_plan.yaml`` under the project root.
    codebook : Codebook
        The instrument the plan's constructs, items and attributes must come from.

    Returns
    -------
    AnalysisPlan
        The validated plan, resolved against ``codebook``.

    Raises
    ------
    PlanError
        Listing every problem (file, line, entry, what to do); nothing is run.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> load_plan(codebook=load_codebook()).estimation["missing"]
    'ml'
    """
    p = Path(path) if path is not None else project_root() / _DEFAULT
    if not p.is_file():
        raise FileNotFoundError(f"analysis plan not found: {p}; pass the path to a plan such as "
                                "data/analysis_plan.yaml (--plan PLAN)")
    text = p.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark else str(p)
        raise PlanError(str(p), [f"{where}: YAML syntax error ({getattr(exc, 'problem', exc)}) — fix the syntax"]) \
            from None
    return plan_from_dict(data, codebook, source=str(p), lines=_line_index(text))


def plan_from_dict(data, codebook: Codebook, *, source: str = "<dict>", lines: dict | None = None) -> AnalysisPlan:
    """Validate a parsed plan against ``codebook`` (see :func:`load_plan`).

    Parameters
    ----------
    data : dict
        The parsed plan (sections ``measurement``, ``grouping``, ``structural``,
        ``estimation``, ``hypotheses``, ...).
    codebook : Codebook
        The instrument it must fit.
    source : str
        Its name in messages.
    lines : dict, optional
        Line numbers of the entries (from the YAML file), for messages.

    Returns
    -------
    AnalysisPlan
        The validated plan; every problem found is listed in one :class:`PlanError`.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> plan_from_dict({"measurement": {"constructs": ["XX"]}, "hypotheses": []}, load_codebook())
    Traceback (most recent call last):
    ...
    hpmob.study.plan.PlanError: invalid analysis plan <dict> (1 problem):
      - <dict>: measurement.constructs: XX is not a construct of the codebook ... — use one of AW, ... or add it to the codebook
    Fix these entries of the plan (or the codebook); nothing was run.
    """
    P = _Problems(source, lines or {})
    if not isinstance(data, dict):
        P.add((), "plan", "is not a mapping of sections", f"start from data/analysis_plan.yaml ({', '.join(_TOP_KEYS)})")
        raise PlanError(source, P.items)
    for key in data:
        if key not in _TOP_KEYS:
            P.add((key,), key, "unknown section", f"use only {', '.join(_TOP_KEYS)}")
    cb_constructs = list(codebook.constructs["code"])
    reflective = codebook.reflective_constructs

    # --- measurement
    meas = data.get("measurement") or {}
    declared = list(meas.get("constructs") or [])
    optional = list(meas.get("optional") or [])
    if not declared:
        P.add(("measurement",), "measurement.constructs", "no constructs declared",
              "list the reflective constructs of the CFA (codes of the codebook)")
    for i, c in enumerate(declared):
        if c in cb_constructs and c not in reflective:
            P.add(("measurement", "constructs", i), "measurement.constructs",
                  f"{c} is not reflective in the codebook", "drop it from the measurement model or mark it reflective")
        elif c not in cb_constructs and c not in optional:
            P.add(("measurement", "constructs", i), "measurement.constructs",
                  f"{c} is not a construct of the codebook {codebook.source}",
                  f"use one of {', '.join(cb_constructs)} or add it to the codebook")
    for i, c in enumerate(declared):
        if c in reflective and len(codebook.items_of(c)) < 2:
            P.add(("measurement", "constructs", i), "measurement.constructs",
                  f"{c} has {len(codebook.items_of(c))} item: a factor needs at least two to be identified",
                  "add items to the codebook or drop the construct")
    absent = [c for c in optional if c not in cb_constructs]
    constructs = [c for c in cb_constructs if c in declared]
    known_constructs = set(declared) | set(cb_constructs) | set(optional)

    # --- grouping
    grouping = dict(data.get("grouping") or {})
    if grouping:
        var = grouping.get("variable")
        attrs = codebook.attributes.set_index("code")
        if var not in attrs.index or attrs.loc[var, "type"] != "categorical":
            P.add(("grouping", "variable"), "grouping.variable", f"{var!r} is not a categorical attribute of the codebook",
                  "name a categorical attribute (e.g. the governance level) or drop the grouping section")
        else:
            values = list(codebook.value_labels(var, "en"))
            order = list(grouping.get("order") or values)
            bad = [v for v in order if v not in values]
            if bad:
                P.add(("grouping", "order"), "grouping.order", f"{', '.join(map(str, bad))} not values of {var}",
                      f"use values of {var}: {', '.join(values)}")
            if len(order) < 2:
                P.add(("grouping", "order"), f"grouping ({var})", f"only {len(order)} level ({', '.join(map(str, order))})",
                      "a group comparison needs at least two levels; add a level or drop the grouping section")
            grouping["order"] = order
        grouping.setdefault("invariance_target", "scalar")
        if grouping["invariance_target"] not in INVARIANCE_LEVELS:
            P.add(("grouping", "invariance_target"), "grouping.invariance_target",
                  f"{grouping['invariance_target']!r} unknown", f"use one of {', '.join(INVARIANCE_LEVELS)}")
        for i, c in enumerate(grouping.get("constructs") or []):
            if c not in declared:
                P.add(("grouping", "constructs", i), "grouping.constructs",
                      f"{c} is not in measurement.constructs", "compare only constructs of the measurement model")
        grouping.setdefault("constructs", [])
        grouping.setdefault("missing", "exclude")
        if grouping["missing"] not in GROUP_MISSING:
            P.add(("grouping", "missing"), "grouping.missing", f"{grouping['missing']!r} unknown",
                  f"use one of {', '.join(GROUP_MISSING)} (what cleaning does with a respondent without a "
                  f"value of {grouping.get('variable')})")

    # --- structural
    struct = data.get("structural") or {}
    covariates = dict(struct.get("covariates") or {})
    attr_codes = set(codebook.attribute_columns)
    for name, spec in covariates.items():
        where = ("structural", "covariates", name)
        spec = spec or {}
        if spec.get("source") not in attr_codes:
            P.add(where, f"covariate {name}", f"source {spec.get('source')!r} is not an attribute of the codebook",
                  f"use one of {', '.join(sorted(attr_codes))}")
            continue
        coding = spec.get("coding")
        if coding not in CODINGS:
            P.add(where, f"covariate {name}", f"coding {coding!r} unknown", f"use one of {', '.join(CODINGS)}")
        kind = codebook.attributes.set_index("code").loc[spec["source"], "type"]
        if coding == "dummy":
            if kind != "categorical":
                P.add(where, f"covariate {name}", f"dummy coding of a {kind} attribute", "use a categorical attribute")
            else:
                values = list(codebook.value_labels(spec["source"], "en"))
                if spec.get("reference", values[0]) not in values:
                    P.add(where, f"covariate {name}", f"reference {spec.get('reference')!r} not a value of "
                          f"{spec['source']}", f"use one of {', '.join(values)}")
                if len(values) < 2:
                    P.add(where, f"covariate {name}", f"{spec['source']} has one level", "a dummy needs two levels")
        elif coding in ("standardize", "raw") and kind == "categorical":
            P.add(where, f"covariate {name}", f"{coding} coding of a categorical attribute",
                  "use coding: dummy for categorical attributes")
        if coding == "standardize" and not (isinstance(spec.get("scale"), (int, float)) and spec["scale"] > 0
                                            and isinstance(spec.get("center"), (int, float))):
            P.add(where, f"covariate {name}", "standardize needs a numeric center and a positive scale",
                  "state them (e.g. the sampling frame's mean and SD)")
    controls = list(struct.get("controls") or [])
    for i, c in enumerate(controls):
        if c not in covariates:
            P.add(("structural", "controls", i), "structural.controls", f"{c} is not a declared covariate",
                  "declare it under structural.covariates")
    regressions = [dict(r) for r in (struct.get("regressions") or [])]
    labels: dict[str, int] = {}
    seen = set()
    for i, r in enumerate(regressions):
        where = ("structural", "regressions", i)
        lhs, rhs = r.get("lhs"), r.get("rhs")
        entry = f"structural.regressions[{i}] ({lhs} ~ {rhs})"
        if lhs in covariates:
            P.add(where, entry, f"{lhs} is an observed covariate and cannot be an outcome",
                  "covariates are exogenous; regress constructs on them")
        elif lhs not in declared:
            P.add(where, entry, f"{lhs} is not a construct of measurement.constructs",
                  "add it to the measurement model or fix the code")
        if rhs not in declared and rhs not in covariates:
            P.add(where, entry, f"{rhs} is neither a construct of the measurement model nor a covariate",
                  "add it to measurement.constructs or structural.covariates")
        if lhs == rhs:
            P.add(where, entry, "a construct regressed on itself makes the model unidentified", "remove the path")
        if (lhs, rhs) in seen:
            P.add(where, entry, "declared twice", "keep one")
        seen.add((lhs, rhs))
        lab = r.get("label")
        if lab is not None:
            if not _LABEL_RE.match(str(lab)):
                P.add(where, entry, f"label {lab!r} is not an identifier", "use letters, digits and _")
            elif lab in labels:
                P.add(where, entry, f"label {lab!r} already used by regressions[{labels[lab]}]", "use a new label")
            labels[str(lab)] = i
    cycle = _find_cycle([(r.get("lhs"), r.get("rhs")) for r in regressions if r.get("lhs") != r.get("rhs")])
    if cycle:
        P.add(("structural", "regressions"), "structural.regressions",
              f"feedback loop {' → '.join(cycle)}: a non-recursive model is not identified without further "
              "restrictions (hpmob checks recursive models only)", "remove one path of the loop")
    layout = None
    if struct.get("layout"):
        layout = {}
        for name, xy in struct["layout"].items():
            if not (isinstance(xy, (list, tuple)) and len(xy) == 2 and all(isinstance(v, (int, float)) for v in xy)):
                P.add(("structural", "layout", name), f"structural.layout.{name}", f"{xy!r} is not a position",
                      "give [x, y]")
            else:
                layout[str(name)] = (float(xy[0]), float(xy[1]))
    defined = {str(k): str(v) for k, v in (struct.get("defined") or {}).items()}
    for name, expr in defined.items():
        unknown = [t for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr) if t not in labels]
        if unknown:
            P.add(("structural", "defined", name), f"structural.defined.{name}",
                  f"uses {', '.join(unknown)}, not labels of a regression", "label the paths it multiplies")

    # --- estimation
    est = {"estimator": "ML", "missing": "listwise", "conf": 0.95, "indirect_method": "bootstrap_bca",
           "agree_threshold": 0.80, **(data.get("estimation") or {})}
    if est["estimator"] not in ESTIMATORS:
        P.add(("estimation", "estimator"), "estimation.estimator", f"{est['estimator']!r} unknown",
              f"use one of {', '.join(ESTIMATORS)}")
    if est["missing"] not in MISSING:
        P.add(("estimation", "missing"), "estimation.missing", f"{est['missing']!r} unknown",
              f"use one of {', '.join(MISSING)}")
    if est["indirect_method"] not in INDIRECT_METHODS:
        P.add(("estimation", "indirect_method"), "estimation.indirect_method", f"{est['indirect_method']!r} unknown",
              f"use one of {', '.join(INDIRECT_METHODS)}")
    for key in ("conf", "agree_threshold"):
        if not (isinstance(est[key], (int, float)) and 0 < est[key] < 1):
            P.add(("estimation", key), f"estimation.{key}", f"{est[key]!r} is not a proportion", "use a number in (0, 1)")

    # --- hypotheses
    hyps: list[Hypothesis] = []
    ids = set()
    regression_map = {(r.get("lhs"), r.get("rhs")): r for r in regressions}
    order = grouping.get("order") or []
    for i, h in enumerate(data.get("hypotheses") or []):
        where = ("hypotheses", i)
        if not isinstance(h, dict):
            P.add(where, f"hypotheses[{i}]", "is not a mapping", "give id, type, claim and the type's fields")
            continue
        hid = str(h.get("id", f"#{i}"))
        entry = f"hypothesis {hid}"
        if "id" not in h:
            P.add(where, f"hypotheses[{i}]", "has no id", "give it an id such as H1")
        if hid in ids:
            P.add(where, entry, "id used twice", "give each hypothesis its own id")
        ids.add(hid)
        kind = h.get("type")
        if kind not in HYPOTHESIS_TYPES:
            P.add(where + ("type",), entry, f"type {kind!r} unknown", f"use one of {', '.join(HYPOTHESIS_TYPES)}")
            continue
        claim = h.get("claim") or {}
        if not (isinstance(claim, dict) and claim.get("en") and claim.get("vi")):
            P.add(where + ("claim",), entry, "claim text missing in en or vi", "give claim: {en: ..., vi: ...}")
        for f in _REQUIRED_FIELDS[kind]:
            if f not in h:
                P.add(where, entry, f"a {kind} hypothesis needs {f}", f"add {f}")
        if kind in ("share_above", "ranking") and "construct" not in h and "items" not in h:
            P.add(where, entry, f"a {kind} hypothesis needs a construct or items", "add construct: CODE")
        if "sign" in h and h["sign"] not in SIGNS[: 3 if kind == "latent_mean_order" else 2]:
            P.add(where + ("sign",), entry, f"sign {h['sign']!r} unknown",
                  "use '+' or '-'" + (" or 'any'" if kind == "latent_mean_order" else ""))
        for c in _constructs_named(h):
            if c is None:
                continue
            if c not in known_constructs and c not in covariates:
                P.add(where, entry, f"{c} is not a construct of the codebook or the plan",
                      f"use one of {', '.join(declared)} (or a covariate: {', '.join(covariates) or 'none'})")
        if kind == "path" and "lhs" in h and "rhs" in h and (h["lhs"], h["rhs"]) not in regression_map:
            P.add(where, entry, f"{h['rhs']} → {h['lhs']} is not a regression of the structural model",
                  "declare it under structural.regressions")
        if kind == "indirect" and "chain" in h:
            chain = list(h["chain"])
            if len(chain) < 3:
                P.add(where, entry, "an indirect chain needs at least three variables", "e.g. chain: [X, M, Y]")
            for a, b in zip(chain, chain[1:]):
                r = regression_map.get((b, a))
                if r is None:
                    P.add(where, entry, f"{a} → {b} is not a regression of the structural model",
                          "declare it under structural.regressions")
                elif r.get("label") is None:
                    P.add(where, entry, f"{a} → {b} has no label", "label the path (label: a)")
        if kind == "latent_mean_order":
            if not grouping:
                P.add(where, entry, "needs a grouping section", "declare grouping.variable")
            elif h.get("construct") not in grouping.get("constructs", []):
                P.add(where, entry, f"{h.get('construct')} is not in grouping.constructs",
                      "add it to the constructs compared across groups")
            for f in ("contrast", "order"):
                vals = h.get(f) or []
                bad = [v for v in vals if v not in order]
                if bad:
                    P.add(where + (f,), entry, f"{f} names {', '.join(map(str, bad))}, not groups of "
                          f"{grouping.get('variable')}", f"use {', '.join(map(str, order))}")
            if "contrast" in h and len(h["contrast"]) != 2:
                P.add(where + ("contrast",), entry, "contrast needs two groups", "give [group, reference]")
            elif "contrast" in h and order and h["contrast"][1] != order[0]:
                P.add(where + ("contrast",), entry, f"the contrast's reference must be {order[0]} (first of "
                      "grouping.order: latent means are fixed at 0 there)", f"use [{h['contrast'][0]}, {order[0]}]")
        if kind == "not_testable":
            reason = h.get("reason") or {}
            if not (isinstance(reason, dict) and reason.get("en") and reason.get("vi")):
                P.add(where + ("reason",), entry, "reason missing in en or vi", "give reason: {en: ..., vi: ...}")
        spec = {k: v for k, v in h.items() if k not in ("id", "label", "claim")}
        hyps.append(Hypothesis(hid, str(h.get("label", hid)), kind, spec, dict(claim)))

    sample = dict(data.get("sample") or {})
    for i, a in enumerate(sample.get("composition") or []):
        if a not in attr_codes:
            P.add(("sample", "composition", i), "sample.composition", f"{a!r} is not an attribute of the codebook",
                  f"use some of {', '.join(codebook.attribute_columns)}")
    power = list((data.get("power") or {}).get("hypotheses") or [])
    for i, hid in enumerate(power):
        if hid not in ids:
            P.add(("power", "hypotheses", i), "power.hypotheses", f"{hid} is not a hypothesis of the plan",
                  "name hypotheses by their id")
    if P.items:
        raise PlanError(source, P.items)
    return AnalysisPlan(source=source, constructs=constructs, absent=absent, grouping=grouping,
                        covariates=covariates, controls=controls, regressions=regressions, defined=defined,
                        estimation=est, hypotheses=hyps, power=power, sample=sample, layout=layout, raw=data)


def _find_cycle(edges) -> list[str] | None:
    """A directed cycle rhs → lhs among the regressions, or None."""
    graph: dict = {}
    for lhs, rhs in edges:
        graph.setdefault(rhs, []).append(lhs)
    state: dict = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
            if not state.get(nxt):
                found = visit(nxt, stack + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in list(graph):
        if not state.get(start):
            found = visit(start, [start])
            if found:
                return found
    return None
