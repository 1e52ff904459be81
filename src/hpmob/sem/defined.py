"""Defined parameters (lavaan's ``:=``) and their delta-method standard errors.

semopy has no ``:=``; the expressions are evaluated here from the labelled
estimates, with a small whitelist of arithmetic (no ``eval`` of user text).
"""

from __future__ import annotations

import ast
import math
import operator

import numpy as np

__all__ = ["Expression", "jacobian"]

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCS = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
}


class Expression:
    """A parsed ``:=`` right-hand side such as ``a*b`` or ``c + a*b``.

    Parameters
    ----------
    name : str
        The defined parameter's name (the left-hand side of ``:=``), used in messages.
    text : str
        The right-hand side: labels, numbers, ``+ - * / ^`` and ``exp``, ``log``, ``sqrt``,
        ``abs``. Anything else is a ``ValueError``.

    Examples
    --------
    >>> from hpmob.sem.defined import Expression
    >>> e = Expression("total", "c + a*b")
    >>> e.names
    ['c', 'a', 'b']
    >>> round(e({"a": 0.5, "b": 0.4, "c": 0.1}), 12)
    0.3
    """

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        try:
            self.tree = ast.parse(text.replace("^", "**"), mode="eval").body
        except SyntaxError as err:
            raise ValueError(f"Cannot read the defined parameter {name} := {text}.") from err
        self.names: list[str] = []
        self._check(self.tree)

    def _check(self, node) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            self._check(node.operand)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            pass
        elif isinstance(node, ast.Name):
            if node.id not in self.names:
                self.names.append(node.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS
            and not node.keywords
        ):
            for a in node.args:
                self._check(a)
        else:
            raise ValueError(
                f"The defined parameter {self.name} := {self.text} uses something other than "
                "labels, numbers, + - * / ^ and exp/log/sqrt/abs."
            )

    def __call__(self, values: dict[str, float]) -> float:
        return float(self._eval(self.tree, values))

    def _eval(self, node, values):
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, values), self._eval(node.right, values))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, values))
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id]
        return _FUNCS[node.func.id](*(self._eval(a, values) for a in node.args))


def jacobian(fn, x: np.ndarray) -> np.ndarray:
    """Compute the Jacobian of a vector function by Richardson-extrapolated central differences.

    Parameters
    ----------
    fn : callable
        Maps a 1-d array of length k to a scalar or a 1-d array of length m.
    x : array_like
        The point, length k. Each step is ``1e-5 * max(1, |x_j|)``.

    Returns
    -------
    numpy.ndarray
        The m × k matrix of partial derivatives at ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from hpmob.sem.defined import jacobian
    >>> jacobian(lambda v: np.array([v[0] * v[1], v[0] ** 2]), np.array([2.0, 3.0])).round(8)
    array([[3., 2.],
           [4., 0.]])
    """
    x = np.asarray(x, dtype=float)
    f0 = np.atleast_1d(fn(x))
    J = np.zeros((f0.size, x.size))
    for j in range(x.size):
        h = 1e-5 * max(1.0, abs(x[j]))
        e = np.zeros_like(x)
        e[j] = h
        d1 = (np.atleast_1d(fn(x + e)) - np.atleast_1d(fn(x - e))) / (2 * h)
        d2 = (np.atleast_1d(fn(x + 2 * e)) - np.atleast_1d(fn(x - 2 * e))) / (4 * h)
        J[:, j] = (4 * d1 - d2) / 3
    return J
