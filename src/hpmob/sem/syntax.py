"""Parse lavaan model syntax into a lavaan-style parameter table.

semopy reads ``=~``, ``~`` and ``~~`` too, but it chooses its own defaults
(which loadings are fixed, which covariances exist, where ``:=`` goes) and its
own parameter order. To report results line by line like lavaan, the parameter
table is built here with lavaan's rules (``lav_partable_flat`` and
``lav_partable_vnames`` in lavaan 0.6-14), and semopy only receives an explicit
description in which every parameter is spelled out.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from dataclasses import dataclass, field
from itertools import combinations

__all__ = ["ParRow", "ParsedModel", "parse_model"]

# Leftmost-first alternation: two-character operators before their one-character prefixes.
OP_RE = re.compile(r"=~|==|:=|~\*~|~~|<~|~|<|>|\||%")
_SUPPORTED_OPS = {"=~", "~", "~~", ":="}
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_IDENT_RE = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclass
class ParRow:
    """One row of the parameter table (lavaan's ``lhs op rhs`` plus flags).

    Parameters
    ----------
    lhs, op, rhs : str
        The parameter in lavaan's notation.
    label : str
        Its label (shared labels are equality constraints); empty for none.
    free : bool
        Whether it is estimated.
    ustart : float
        The fixed value when ``free`` is False.
    user : bool
        Written by the user, as opposed to added as a lavaan default.
    exo : bool
        A fixed.x row: its value is the sample statistic.
    fixed_by_user, freed_by_user : bool
        Whether the syntax fixed (``0*x``) or freed (``NA*x``) it explicitly.

    Examples
    --------
    >>> from hpmob.sem.syntax import ParRow
    >>> ParRow("f", "=~", "x1", free=False, ustart=1.0)
    ParRow(lhs='f', op='=~', rhs='x1', label='', free=False, ustart=1.0, user=True, exo=False, fixed_by_user=False, freed_by_user=False)
    """

    lhs: str
    op: str
    rhs: str
    label: str = ""
    free: bool = True
    ustart: float = math.nan  # the fixed value when ``free`` is False
    user: bool = True  # written by the user (vs. added as a lavaan default)
    exo: bool = False  # fixed.x row: value is the sample statistic
    fixed_by_user: bool = False
    freed_by_user: bool = False


@dataclass
class ParsedModel:
    """Result of :func:`parse_model`.

    Parameters
    ----------
    rows : list of ParRow
        The parameter table, in lavaan's order.
    defined : list of tuple of (str, str)
        ``(name, expression)`` of each ``:=`` line, in syntax order.
    ov, lv : list of str
        Observed and latent variables, in lavaan's order.
    ov_x : list of str
        Exogenous observed covariates treated as fixed (fixed.x).
    meanstructure : bool
        Whether intercepts are part of the table.
    warnings : list of str
        Notes on the syntax (e.g. a duplicated term).

    Examples
    --------
    >>> from hpmob.sem.syntax import parse_model
    >>> pm = parse_model("f =~ x1 + x2 + x3\\ny ~ f + z")
    >>> pm.ov, pm.lv, pm.ov_x, pm.ov_nox
    (['x1', 'x2', 'x3', 'y', 'z'], ['f'], ['z'], ['x1', 'x2', 'x3', 'y'])
    """

    rows: list[ParRow]
    defined: list[tuple[str, str]]  # (name, expression) in syntax order
    ov: list[str]  # observed variables, lavaan order
    lv: list[str]  # latent variables, lavaan order
    ov_x: list[str]  # exogenous observed covariates treated as fixed (fixed.x)
    meanstructure: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def ov_nox(self) -> list[str]:
        """Observed variables that are not fixed.x covariates, in lavaan's order.

        Examples
        --------
        >>> from hpmob.sem.syntax import parse_model
        >>> parse_model("y ~ x1 + x2").ov_nox
        ['y']
        """
        return [v for v in self.ov if v not in self.ov_x]


def _strip_comments(text: str) -> str:
    out = []
    for line in text.splitlines():
        cut = len(line)
        for ch in "#!":
            pos = line.find(ch)
            if pos != -1:
                cut = min(cut, pos)
        out.append(line[:cut])
    return "\n".join(out)


def formulas(model: str) -> list[str]:
    """Split model text into formulas; a line without an operator continues the previous one."""
    pieces: list[str] = []
    for raw in _strip_comments(model).replace(";", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        if OP_RE.search(line) is None and pieces:
            pieces[-1] = pieces[-1] + " " + line
        elif pieces and re.search(r"[+*]\s*$", pieces[-1]):
            # an unfinished sum ("... +") swallows the next line even if it has an operator
            pieces[-1] = pieces[-1] + " " + line
        else:
            pieces.append(line)
    return pieces


def split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


@dataclass
class _Term:
    var: str
    label: str = ""
    fixed: float | None = None
    free_na: bool = False


def parse_term(term: str, formula: str) -> _Term:
    """One term of a formula's right-hand side: its variable and its modifiers (``0.5*x``, ``a*x``, ``NA*x``)."""
    bits = split_top(term, "*")
    if any(b == "" for b in bits):
        raise ValueError(f"Cannot read the term {term!r} in the model line {formula!r}.")
    out = _Term(var=bits[-1])
    if re.search(r"\s", out.var) or OP_RE.search(out.var):
        raise ValueError(f"Cannot read the variable name {out.var!r} in the model line {formula!r} (missing '+'?).")
    for mod in bits[:-1]:
        if _NUMBER_RE.match(mod):
            out.fixed = float(mod)
        elif mod == "NA":
            out.free_na = True
        elif m := re.fullmatch(r"(?:label|equal)\(\s*['\"](.+)['\"]\s*\)", mod):
            out.label = m.group(1)
        elif re.fullmatch(r"start\(.*\)", mod):
            pass  # starting values only steer the optimizer; semopy picks its own
        elif mod.startswith("c("):
            raise ValueError(
                f"Group-specific modifiers like {mod!r} (line {formula!r}) need a multigroup fit; "
                "hpmob.sem.fit handles single-group models only."
            )
        elif _IDENT_RE.match(mod):
            out.label = mod
        else:
            raise ValueError(f"Unknown modifier {mod!r} in the model line {formula!r}.")
    return out


def parse_model(model: str, *, meanstructure: bool = False) -> ParsedModel:
    """Build lavaan's parameter table (``sem()``/``cfa()`` defaults) from model syntax.

    Defaults follow lavaan: first loading fixed to 1 (``auto.fix.first``), residual
    and latent variances free, covariances among exogenous latent variables free
    (``auto.cov.lv.x``), residual covariances among pure outcome variables free
    (``auto.cov.y``), exogenous observed covariates fixed at their sample moments
    (``fixed.x = TRUE``), and a single indicator's residual variance fixed to zero.

    Parameters
    ----------
    model : str
        lavaan model syntax with ``=~``, ``~``, ``~~`` and ``:=``.
    meanstructure : bool
        Add intercepts (free for observed, fixed to zero for latent variables).

    Returns
    -------
    ParsedModel
        The parameter table with lavaan's defaults added, and the model's variables.

    Examples
    --------
    >>> from hpmob.sem.syntax import parse_model
    >>> pm = parse_model("f =~ x1 + x2 + x3")
    >>> [(r.lhs, r.op, r.rhs, r.free) for r in pm.rows]  # doctest: +NORMALIZE_WHITESPACE
    [('f', '=~', 'x1', False), ('f', '=~', 'x2', True), ('f', '=~', 'x3', True), ('x1', '~~', 'x1', True), ('x2',
    '~~', 'x2', True), ('x3', '~~', 'x3', True), ('f', '~~', 'f', True)]
    """
    if not isinstance(model, str) or not model.strip():
        raise ValueError("`model` must be a non-empty string in lavaan syntax.")
    user: list[tuple[ParRow, _Term]] = []
    defined: list[tuple[str, str]] = []
    notes: list[str] = []
    seen: set[tuple[str, str, str]] = set()

    for formula in formulas(model):
        m = OP_RE.search(formula)
        if m is None:
            raise ValueError(f"No operator (=~, ~, ~~, :=) found in the model line {formula!r}.")
        op = m.group(0)
        lhs_txt, rhs_txt = formula[: m.start()].strip(), formula[m.end() :].strip()
        if op not in _SUPPORTED_OPS:
            raise ValueError(
                f"The operator {op!r} in {formula!r} is not supported; hpmob.sem.fit handles "
                "=~, ~, ~~ and := (equality constraints: give parameters the same label)."
            )
        if not lhs_txt or not rhs_txt:
            raise ValueError(f"The model line {formula!r} needs something on both sides of {op!r}.")
        if op == ":=":
            if not _IDENT_RE.match(lhs_txt):
                raise ValueError(f"The defined parameter name {lhs_txt!r} is not a valid name.")
            defined.append((lhs_txt, re.sub(r"\s+", "", rhs_txt)))
            continue
        lhs_names = split_top(lhs_txt, "+")
        for lhs in lhs_names:
            if not lhs or re.search(r"\s", lhs):
                raise ValueError(f"Cannot read the left-hand side of {formula!r}.")
            for term_txt in split_top(rhs_txt, "+"):
                term = parse_term(term_txt, formula)
                row_op = op
                if op == "~" and term.var == "1":
                    raise ValueError(
                        f"Intercept formulas ('~ 1', line {formula!r}) are not supported; use "
                        "meanstructure=True for lavaan's default free intercepts."
                    )
                key = (lhs, row_op, term.var)
                rkey = (term.var, row_op, lhs)
                if key in seen or (row_op == "~~" and rkey in seen):
                    notes.append(f"duplicated element ignored: {lhs} {row_op} {term.var}")
                    continue
                seen.add(key)
                user.append((ParRow(lhs=lhs, op=row_op, rhs=term.var), term))

    rows_u = [r for r, _ in user]
    if not rows_u:
        raise ValueError("The model has no =~, ~ or ~~ formulas.")

    def uniq(seq):
        return list(dict.fromkeys(seq))

    # variable classes (lav_partable_vnames)
    lv = uniq(r.lhs for r in rows_u if r.op == "=~")
    v_ind = uniq(r.rhs for r in rows_u if r.op == "=~")
    eqs_y = uniq(r.lhs for r in rows_u if r.op == "~")
    eqs_x = uniq(r.rhs for r in rows_u if r.op == "~")
    ov_ind = [v for v in v_ind if v not in lv]
    ov_y_all = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x0 = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y_all]
    ov_cov = [r.lhs for r in rows_u if r.op == "~~" and r.lhs not in lv] + [
        r.rhs for r in rows_u if r.op == "~~" and r.rhs not in lv
    ]
    ov = uniq(ov_ind + ov_y_all + ov_x0)
    ov += [v for v in uniq(ov_cov) if v not in ov]
    in_user_cov = {r.lhs for r in rows_u if r.op == "~~"} | {r.rhs for r in rows_u if r.op == "~~"}
    # an exogenous covariate named in a ~~ formula is treated as random, as lavaan does
    ov_x = [v for v in ov_x0 if v not in in_user_cov]
    ov_nox = [v for v in ov if v not in ov_x]
    lv_x = [v for v in lv if v not in v_ind and v not in eqs_y]
    ov_y = [v for v in ov if v in eqs_y and v not in v_ind and v not in eqs_x and v not in lv]
    lv_y = [v for v in lv if v in eqs_y and v not in v_ind and v not in eqs_x]

    # defaults (lav_partable_flat), in lavaan's order
    defaults: list[ParRow] = []
    for v in ov_nox + lv:
        defaults.append(ParRow(v, "~~", v, user=False))
    for a, b in combinations(lv_x, 2):
        defaults.append(ParRow(a, "~~", b, user=False))
    for a, b in combinations(lv_y + ov_y, 2):
        defaults.append(ParRow(a, "~~", b, user=False))
    nx = len(ov_x)
    for c in range(nx):
        for r in range(c, nx):
            defaults.append(ParRow(ov_x[c], "~~", ov_x[r], user=False, free=False, exo=True))
    if meanstructure:
        for v in ov:
            defaults.append(ParRow(v, "~1", "", user=False, free=v not in ov_x, exo=v in ov_x))
        for v in lv:
            defaults.append(ParRow(v, "~1", "", user=False, free=False, ustart=0.0))

    taken = {(r.lhs, r.op, r.rhs) for r in rows_u} | {
        (r.rhs, r.op, r.lhs) for r in rows_u if r.op == "~~"
    }
    defaults = [r for r in defaults if (r.lhs, r.op, r.rhs) not in taken]
    rows = rows_u + defaults

    # auto.fix.first: the first indicator of each latent variable is the marker
    done: set[str] = set()
    for r in rows:
        if r.op == "=~" and r.lhs not in done:
            done.add(r.lhs)
            r.free, r.ustart = False, 1.0
    # auto.fix.single: a latent variable's only (unique) indicator has no residual variance
    n_ind = {f: sum(1 for r in rows if r.op == "=~" and r.lhs == f) for f in lv}
    ind_count = {}
    for r in rows:
        if r.op == "=~":
            ind_count[r.rhs] = ind_count.get(r.rhs, 0) + 1
    singles = {
        r.rhs for r in rows if r.op == "=~" and n_ind[r.lhs] == 1 and r.lhs != r.rhs and ind_count[r.rhs] == 1
    }
    for r in rows:
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in singles and not r.user:
            r.free, r.ustart = False, 0.0

    # user modifiers override the defaults
    for r, term in user:
        if term.fixed is not None:
            r.free, r.ustart, r.fixed_by_user = False, term.fixed, True
        if term.free_na:
            r.free, r.ustart, r.freed_by_user = True, math.nan, True
        if term.label:
            r.label = term.label

    # labels must not collide with variable names
    all_vars = set(ov) | set(lv)
    for r in rows:
        if r.label and r.label in all_vars:
            raise ValueError(f"The label {r.label!r} is also a variable name; choose another label.")
    def_names = [d[0] for d in defined]
    dup = [n for n in def_names if def_names.count(n) > 1]
    if dup:
        raise ValueError(f"The defined parameter {dup[0]!r} is defined twice.")
    if len(lv) == 0 and not any(r.op in ("~", "~~") for r in rows_u):
        raise ValueError("The model has no parameters to estimate.")
    for n in notes:
        warnings.warn(n, stacklevel=3)
    return ParsedModel(
        rows=rows, defined=defined, ov=ov, lv=lv, ov_x=ov_x, meanstructure=meanstructure, warnings=notes
    )


def suggest(name: str, candidates) -> str:
    """Return ' Did you mean ...?' for the closest candidate names, or ''."""
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
