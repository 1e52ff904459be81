"""The result of one study step: its tables, glue values, verdicts and sentences."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["LEAD_COLUMNS", "StepResult"]

#: Columns that identify a row, shown first and in this order (the construct of a latent mean
#: before its group); the CSV keeps the step's own order.
LEAD_COLUMNS = ("by", "hypothesis", "construct", "factor", "dv", "item")


@dataclass
class StepResult:
    """What a study step returns.

    Parameters
    ----------
    step : str
        Name of the step (``"measurement"``, ...).
    tables : dict of DataFrame
        Results tables, written as ``<name>.csv`` by :meth:`write_tables`.
    glue : dict
        Named numbers and short strings for the book (``{glue:text}`` in the notebooks).
    verdicts : dict
        The decisions the step took (bool or verdict strings), by name.
    sentences : dict
        Result sentences ``{name: {"en": ..., "vi": ...}}``, generated from the verdicts
        (:mod:`hpmob.study.sentences`).
    objects : dict
        Fitted models and intermediate results (figures, later steps).
    index_tables : set of str
        Tables written with their index (a matrix, a named-value column).
    full_precision : set of str
        Tables written with every digit (the others with ``%.6g``).

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from hpmob.study.result import StepResult
    >>> res = StepResult("demo", tables={"t": pd.DataFrame({"x": [1.23456789]})}, glue={"n": 3},
    ...                  sentences={"s": {"en": "Three.", "vi": "Ba."}})
    >>> sorted(res.glue_values())
    ['n', 'sentence_s', 'sentence_s_vi']
    >>> [p.name for p in res.write_tables(tempfile.mkdtemp())]
    ['t.csv']
    """

    step: str
    tables: dict = field(default_factory=dict)
    glue: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)
    sentences: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    index_tables: set = field(default_factory=set)
    full_precision: set = field(default_factory=set)

    def write_tables(self, folder: str | Path, names=None) -> list[Path]:
        """Write the tables (all, or ``names``) as CSV under ``folder`` (``%.6g`` floats).

        Parameters
        ----------
        folder : path-like
            The folder (created if missing).
        names : iterable of str, optional
            The tables to write (default all).

        Returns
        -------
        list of pathlib.Path
            The files written.

        Examples
        --------
        >>> import tempfile
        >>> import pandas as pd
        >>> from hpmob.study.result import StepResult
        >>> res = StepResult("demo", tables={"means": pd.DataFrame({"item": ["A1"], "mean": [3.8912]})}, glue={"n": 3},
        ...                  sentences={"s": {"en": "Three.", "vi": "Ba."}})
        >>> path = res.write_tables(tempfile.mkdtemp())[0]
        >>> path.name, path.read_text().splitlines()
        ('means.csv', ['item,mean', 'A1,3.8912'])
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for name in names or self.tables:
            table = self.tables[name]
            path = folder / f"{name}.csv"
            table.to_csv(path, index=name in self.index_tables,
                         float_format=None if name in self.full_precision else "%.6g")
            out.append(path)
        return out

    def glue_values(self, lang: str = "en") -> dict:
        """Return the glue values plus every sentence under ``sentence_<name>`` (and ``..._vi``).

        Parameters
        ----------
        lang : {"en", "vi"}
            Language of the ``sentence_<name>`` values.

        Returns
        -------
        dict
            Glue name to value.

        Examples
        --------
        >>> import pandas as pd
        >>> from hpmob.study.result import StepResult
        >>> res = StepResult("demo", tables={"means": pd.DataFrame({"item": ["A1"], "mean": [3.8912]})}, glue={"n": 3},
        ...                  sentences={"s": {"en": "Three.", "vi": "Ba."}})
        >>> res.glue_values("vi")
        {'n': 3, 'sentence_s': 'Ba.', 'sentence_s_vi': 'Ba.'}
        """
        values = dict(self.glue)
        for name, text in self.sentences.items():
            values[f"sentence_{name}"] = text[lang]
            values[f"sentence_{name}_vi"] = text["vi"]
        return values

    def publish(self, folder: str | Path | None = None) -> None:
        """Write the tables and glue every value and sentence, in a notebook (myst-nb).

        Parameters
        ----------
        folder : path-like, optional
            Where the tables go; None: glue only.

        Examples
        --------
        In a script the glued values are only recorded (a notebook shows them in the book):

        >>> import tempfile
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> from hpmob.study.result import StepResult
        >>> res = StepResult("demo", tables={"means": pd.DataFrame({"item": ["A1"], "mean": [3.8912]})}, glue={"n": 3},
        ...                  sentences={"s": {"en": "Three.", "vi": "Ba."}})
        >>> folder = Path(tempfile.mkdtemp())
        >>> res.publish(folder)
        >>> [p.name for p in folder.iterdir()]
        ['means.csv']
        """
        from myst_nb import glue

        if folder is not None:
            self.write_tables(folder)
        for key, value in self.glue_values().items():
            glue(key, value, display=False)

    def table(self, name: str, decimals: int = 3, rows: int | None = None, empty: str | None = None,
              index: str | None = None, hide=(), names: dict | None = None, **options):
        """Return a table for the page (:func:`hpmob.tables.render_table`), formatted in words.

        Labels in words, intervals in brackets, estimates to ``decimals`` places, p-values as
        "< .001", suppressed cells as "suppressed". Columns that say what a row is about
        (:data:`LEAD_COLUMNS`) come first.

        Parameters
        ----------
        name : str
            A table of the step.
        decimals : int
            Places of the estimates (2 or 3).
        rows : int, optional
            Only the first rows.
        empty : str, optional
            Why the table may be empty (e.g. "no intercept was freed"): an empty table is one
            line that says which table it is and, with ``empty``, why.
        index : str, optional
            Show the row names under this column label (matrices).
        hide : sequence of str
            Columns not shown on the page (the results file keeps them).
        names : dict, optional
            ``{column: {value: display name}}``: words for the values of identifying columns
            on the page, e.g. a covariate's label for its model-syntax name (the results
            file keeps the names the model uses).
        **options
            Passed to the renderer (``caption``, ``labels``, ...).

        Returns
        -------
        IPython.display.HTML or IPython.display.Markdown
            The table, or a one-line message for an empty one.

        Examples
        --------
        >>> import pandas as pd
        >>> from hpmob.study.result import StepResult
        >>> res = StepResult("demo", tables={"means": pd.DataFrame({"item": ["A1"], "mean": [3.8912]})}, glue={"n": 3},
        ...                  sentences={"s": {"en": "Three.", "vi": "Ba."}})
        >>> html = res.table("means", caption="Item means").data
        >>> "Item means" in html, ">3.891<" in html
        (True, True)
        >>> ">first item<" in res.table("means", names={"item": {"A1": "first item"}}).data
        True
        """
        from hpmob.tables import column_kind, render_table

        frame = self.tables[name]
        if frame.empty:  # nothing to list (e.g. no freed item, so no dMACS): say which table, in one line
            from IPython.display import Markdown

            what = options.get("caption") or f"The results table {name}.csv"
            return Markdown(f"*{what}: {empty or 'nothing to list'}.*")
        if index is not None:  # a matrix whose row names are its index (not written to the CSV)
            frame = frame.rename_axis(index).reset_index()
        elif name in self.index_tables:  # a matrix or a named-value column: its index is a column
            frame = frame.reset_index()
        # what a row is about first (the construct before its groups), the statistics after it
        lead = [c for c in LEAD_COLUMNS if c in frame.columns]
        frame = frame[lead + [c for c in frame.columns if c not in lead and c not in hide]]
        frame = frame.head(rows) if rows is not None else frame
        for column, mapping in (names or {}).items():
            if column in frame.columns:
                frame = frame.assign(**{column: frame[column].map(lambda v, m=mapping: m.get(v, v))})
        kind = "estimate" if decimals <= 2 else "estimate3"
        if name in self.index_tables and frame.shape[1] == 2:  # named values (fit measures): one kind per row
            from hpmob.tables import COMMON_LABELS, format_number

            # counts print as integers; a measure that happens to be 0 (an RMSEA bound) keeps its decimals
            COUNT_STATISTICS = {"npar", "df", "ntotal", "nobs", "n", "baseline.df", "df.scaled"}

            key, value = frame.columns
            frame = pd.DataFrame({"Statistic": [COMMON_LABELS.get(k, k) for k in frame[key]], "Value": [
                format_number(v, column_kind(k, pd.Series([v])) if (float(v).is_integer() and k in COUNT_STATISTICS)
                              or "pvalue" in str(k) else kind) for k, v in zip(frame[key], frame[value])]})
        # percentages (pct, pct_*) to one decimal, the other estimates to ``decimals``
        kinds = {c: "percent" if str(c) == "pct" or str(c).startswith("pct_") else kind
                 for c in frame.columns if column_kind(c, frame[c]) == "estimate"}
        return render_table(frame, kinds={**kinds, **options.pop("kinds", {})}, **options)
