"""Model-implied moments and their derivatives in RAM form.

Everything computed *after* estimation (standard
errors, robust corrections, standardized solution, modification indices) needs
the Jacobian of the implied moments with respect to lavaan's free parameters,
and for modification indices also with respect to parameters that are not in
the model. A RAM representation built from the parameter table serves both:
all variables (observed, then latent) in one vector ``v = A v + u``,
``Cov(u) = P``, ``E(u) = m``, so that ``Sigma = F C P C' F'`` and
``mu = F C m`` with ``C = (I - A)^-1``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Ram"]


class Ram:
    """RAM matrices for a parameter table.

    Parameters
    ----------
    ov, lv : list of str
        Observed and latent variable names (lavaan order).

    Examples
    --------
    >>> from hpmob.sem.structure import Ram
    >>> ram = Ram(["x1", "x2"], ["f"])
    >>> for lhs, op, rhs, value in [("f", "=~", "x1", 1.0), ("f", "=~", "x2", 0.5), ("f", "~~", "f", 2.0),
    ...                             ("x1", "~~", "x1", 1.0), ("x2", "~~", "x2", 1.0)]:
    ...     ram.set(ram.position(lhs, op, rhs), value)
    >>> ram.implied()[0]
    array([[3. , 1. ],
           [1. , 1.5]])
    """

    def __init__(self, ov: list[str], lv: list[str]):
        self.ov = list(ov)
        self.lv = list(lv)
        self.names = self.ov + self.lv
        self.index = {v: i for i, v in enumerate(self.names)}
        n = len(self.names)
        self.n = n
        self.p = len(self.ov)
        self.A = np.zeros((n, n))
        self.P = np.zeros((n, n))
        self.m = np.zeros(n)

    # positions ---------------------------------------------------------
    def position(self, lhs: str, op: str, rhs: str) -> tuple[str, int, int]:
        """Locate a parameter: its matrix ('A', 'P' or 'm') and cell.

        Parameters
        ----------
        lhs, op, rhs : str
            The parameter in lavaan's notation (``=~``, ``~``, ``~~`` or ``~1``).

        Returns
        -------
        tuple of (str, int, int)
            The matrix and the row and column (for ``m`` the index twice).

        Examples
        --------
        >>> from hpmob.sem.structure import Ram
        >>> ram = Ram(["x1", "x2"], ["f"])
        >>> ram.position("f", "=~", "x2"), ram.position("x1", "~~", "x2"), ram.position("x1", "~1", "")
        (('A', 1, 2), ('P', 0, 1), ('m', 0, 0))
        """
        ix = self.index
        if op == "=~":
            return "A", ix[rhs], ix[lhs]
        if op == "~":
            return "A", ix[lhs], ix[rhs]
        if op == "~~":
            return "P", ix[lhs], ix[rhs]
        if op == "~1":
            return "m", ix[lhs], ix[lhs]
        raise ValueError(f"no RAM position for operator {op!r}")

    def set(self, pos: tuple[str, int, int], value: float) -> None:
        """Set a parameter's value at its position (both triangles of ``P``).

        Parameters
        ----------
        pos : tuple of (str, int, int)
            A position from :meth:`position`.
        value : float
            The value.

        Examples
        --------
        >>> from hpmob.sem.structure import Ram
        >>> ram = Ram(["x1", "x2"], ["f"])
        >>> for lhs, op, rhs, value in [("f", "=~", "x1", 1.0), ("f", "=~", "x2", 0.5), ("f", "~~", "f", 2.0),
        ...                             ("x1", "~~", "x1", 1.0), ("x2", "~~", "x2", 1.0)]:
        ...     ram.set(ram.position(lhs, op, rhs), value)
        >>> float(ram.P[0, 0]), float(ram.A[1, 2])
        (1.0, 0.5)
        """
        kind, i, j = pos
        if kind == "A":
            self.A[i, j] = value
        elif kind == "P":
            self.P[i, j] = value
            self.P[j, i] = value
        else:
            self.m[i] = value

    # moments -----------------------------------------------------------
    def solve(self):
        """Return C = (I - A)^-1, the covariance and the mean of all variables.

        Returns
        -------
        C : numpy.ndarray
            ``(I - A)^-1`` over observed and latent variables.
        V : numpy.ndarray
            ``C P C'``, the implied covariance of all variables.
        mu : numpy.ndarray
            ``C m``, their implied mean.

        Examples
        --------
        >>> from hpmob.sem.structure import Ram
        >>> ram = Ram(["x1", "x2"], ["f"])
        >>> for lhs, op, rhs, value in [("f", "=~", "x1", 1.0), ("f", "=~", "x2", 0.5), ("f", "~~", "f", 2.0),
        ...                             ("x1", "~~", "x1", 1.0), ("x2", "~~", "x2", 1.0)]:
        ...     ram.set(ram.position(lhs, op, rhs), value)
        >>> C, V, mu = ram.solve()
        >>> float(V[2, 2]), float(V[0, 2])  # var(f) and cov(x1, f)
        (2.0, 2.0)
        """
        C = np.linalg.inv(np.eye(self.n) - self.A)
        V = C @ self.P @ C.T
        return C, V, C @ self.m

    def implied(self):
        """Return the implied covariance and mean of the observed variables.

        Returns
        -------
        cov : numpy.ndarray
            The p × p implied covariance.
        mean : numpy.ndarray
            The implied mean, length p.

        Examples
        --------
        >>> from hpmob.sem.structure import Ram
        >>> ram = Ram(["x1", "x2"], ["f"])
        >>> for lhs, op, rhs, value in [("f", "=~", "x1", 1.0), ("f", "=~", "x2", 0.5), ("f", "~~", "f", 2.0),
        ...                             ("x1", "~~", "x1", 1.0), ("x2", "~~", "x2", 1.0)]:
        ...     ram.set(ram.position(lhs, op, rhs), value)
        >>> cov, mean = ram.implied()
        >>> cov, mean
        (array([[3. , 1. ],
               [1. , 1.5]]), array([0., 0.]))
        """
        _, V, mu = self.solve()
        p = self.p
        return V[:p, :p], mu[:p]

    def derivatives(self, groups: list[list[tuple[str, int, int]]]):
        """Differentiate Sigma (k, p, p) and mu (p, k) with respect to the parameters.

        ``groups[k]`` lists the positions that share parameter ``k`` (equal labels).

        Parameters
        ----------
        groups : list of list of tuple
            ``groups[k]`` lists the positions (from :meth:`position`) that share parameter ``k``
            (equal labels).

        Returns
        -------
        dS : numpy.ndarray
            Shape (k, p, p): the derivative of the implied covariance of the observed variables.
        dmu : numpy.ndarray
            Shape (p, k): the derivative of their implied mean.

        Examples
        --------
        >>> from hpmob.sem.structure import Ram
        >>> ram = Ram(["x1", "x2"], ["f"])
        >>> for lhs, op, rhs, value in [("f", "=~", "x1", 1.0), ("f", "=~", "x2", 0.5), ("f", "~~", "f", 2.0),
        ...                             ("x1", "~~", "x1", 1.0), ("x2", "~~", "x2", 1.0)]:
        ...     ram.set(ram.position(lhs, op, rhs), value)
        >>> dS, dmu = ram.derivatives([[ram.position("f", "~~", "f")]])  # d Sigma / d var(f)
        >>> dS[0]
        array([[1.  , 0.5 ],
               [0.5 , 0.25]])
        """
        C, V, mu_all = self.solve()
        p = self.p
        Cp = C[:p, :]  # rows of C for observed variables
        q = len(groups)
        dS = np.zeros((q, p, p))
        dmu = np.zeros((p, q))
        for k, positions in enumerate(groups):
            for kind, i, j in positions:
                if kind == "A":
                    # d(C P C') / dA_ij = c_i V_j' + V_j c_i'
                    a = np.outer(Cp[:, i], V[j, :p])
                    dS[k] += a + a.T
                    dmu[:, k] += Cp[:, i] * mu_all[j]
                elif kind == "P":
                    if i == j:
                        dS[k] += np.outer(Cp[:, i], Cp[:, i])
                    else:
                        a = np.outer(Cp[:, i], Cp[:, j])
                        dS[k] += a + a.T
                else:
                    dmu[:, k] += Cp[:, i]
        return dS, dmu
