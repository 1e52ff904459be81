"""Reading an analysis plan: the YAML's schema and its checks against the codebook.

Part of :mod:`hpmob.study.plan`, which re-exports every public name here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hpmob.codebook import Codebook
from hpmob.paths import project_root
from hpmob.study.plan_classes import AnalysisPlan, Hypothesis, PlanError, constructs_named

__all__ = ["load_plan", "plan_from_dict", "HYPOTHESIS_TYPES", "INDIRECT_METHODS"]


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
        for c in constructs_named(h):
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
