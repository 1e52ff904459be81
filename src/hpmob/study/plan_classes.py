"""The analysis plan as objects: :class:`AnalysisPlan`, :class:`Hypothesis` and :class:`PlanError`.

Part of :mod:`hpmob.study.plan`, which re-exports every public name here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

__all__ = ["AnalysisPlan", "Hypothesis", "PlanError"]


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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
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
        >>> from hpmob.study.plan import load_plan
        >>> plan = load_plan(codebook=load_codebook())
        >>> [h.id for h in plan.hypotheses if plan.missing_for(h)]
        []
        """
        return [c for c in constructs_named(h) if c in self.absent]

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
        >>> from hpmob.study.plan import load_plan
        >>> plan = load_plan(codebook=load_codebook())
        >>> h = next(h for h in plan.hypotheses if h.type == "share_above")
        >>> plan.threshold(h) == h.get("threshold", plan.estimation["agree_threshold"])
        True
        """
        return float(h.get("threshold", self.estimation["agree_threshold"]))


def constructs_named(h) -> list[str]:
    """The constructs hypothesis ``h`` (a :class:`Hypothesis` or its spec) names."""
    spec = h.spec if isinstance(h, Hypothesis) else h
    kind = spec.get("type")
    if kind == "path":
        return [spec.get("lhs"), spec.get("rhs")]
    if kind == "indirect":
        return list(spec.get("chain") or [])
    if kind in ("latent_mean_order", "share_above", "ranking"):
        return [spec["construct"]] if spec.get("construct") is not None else []
    return []
