"""Numbered, captioned tables from notebook outputs (a Sphinx extension for the book).

A notebook renders a results table (:mod:`hpmob.tables`) and glues it under a key
(:func:`hpmob.tables.glue_table`); a Markdown cell then places it as a numbered table with
its caption and label, the way ``{glue:figure}`` places a figure::

    ```{numtable} tbl_item_stats
    :name: tbl-item-stats

    Item means, standard deviations and shares missing.
    ```

Sphinx numbers it "Table N" with the book's ``numfig`` settings (the counter is the one of
Markdown tables, so glued and written tables share one sequence), puts the caption above
the table as journals do, and the text refers to it with ``{numref}`tbl-item-stats```
from any chapter. A table without ``:name:`` or without a caption is an error (a warning,
which the strict build turns into a failure): every table in the book is numbered and can
be cited.

Glued content is looked up as ``{glue:}`` does (myst-nb), so a glued Markdown message (an
empty table that says so) is rendered too. Load the extension with
``sphinx: extra_extensions: [hpmob.numtable]`` (it is part of the package, so a book built
for another export, which copies the book's configuration, has it as well).
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import directives

__all__ = ["NUMTABLE_CLASS", "setup"]

#: CSS class of the element that holds one numbered table (the browser check looks for it).
NUMTABLE_CLASS = "hpmob-numtable"


class numtable(nodes.General, nodes.Element):  # noqa: N801  (docutils names nodes in lower case)
    """A numbered table: a caption, then the glued output(s)."""


def _visit_html(self, node: numtable) -> None:
    self.body.append(self.starttag(node, "div", CLASS=NUMTABLE_CLASS))


def _depart_html(self, node: numtable) -> None:
    self.body.append("</div>\n")


def _visit_other(self, node: numtable) -> None:
    """Other builders (text, LaTeX): the children only."""


def _depart_other(self, node: numtable) -> None:
    pass


def _directive():
    """The directive class (built on first use: myst-nb is imported only inside a Sphinx build)."""
    from myst_nb.core.variables import RetrievalError, render_variable_outputs
    from myst_nb.ext.glue.utils import glue_warning, retrieve_glue_data
    from myst_nb.ext.utils import DirectiveBase

    class NumTableDirective(DirectiveBase):
        """``{numtable} KEY`` with ``:name:`` and a caption paragraph (more paragraphs: notes under it)."""

        required_arguments = 1
        final_argument_whitespace = True
        has_content = True
        option_spec = {"name": directives.unchanged, "class": directives.class_option}

        def run(self):
            key = self.arguments[0]
            if not self.options.get("name"):
                return [glue_warning(f"numtable {key!r}: no :name: (every table needs a label to be cited)",
                                     self.document, self.line)]
            if not self.content:
                return [glue_warning(f"numtable {key!r}: no caption", self.document, self.line)]
            try:
                data = retrieve_glue_data(self.document, key)
            except RetrievalError as exc:
                return [glue_warning(str(exc), self.document, self.line)]
            table = numtable()
            table["classes"] += self.options.get("class", [])
            self.set_source_info(table)
            self.add_name(table)
            parsed = nodes.Element()
            self.state.nested_parse(self.content, self.content_offset, parsed)
            first = parsed[0] if len(parsed) else None
            if not isinstance(first, nodes.paragraph):
                return [glue_warning(f"numtable {key!r}: the caption must be a paragraph", self.document, self.line)]
            caption = nodes.caption(first.rawsource, "", *first.children)
            caption.source, caption.line = first.source, first.line
            caption["classes"].append("hpmob-table-caption")
            table += caption
            table += render_variable_outputs([data], self.document, self.line, self.source)
            if len(parsed) > 1:  # notes under the table (not a docutils legend: that belongs to figures)
                table += nodes.container("", *parsed[1:], classes=["hpmob-table-legend"])
            return [table]

    return NumTableDirective


def setup(app):
    """Register the node as an enumerable "table" and the ``numtable`` directive (Sphinx's hook).

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The application building the book.

    Returns
    -------
    dict
        The extension's metadata (version; safe for parallel reading and writing).

    Examples
    --------
    >>> class App:  # records what the extension registers
    ...     def __init__(self):
    ...         self.calls = []
    ...     def add_enumerable_node(self, node, figtype, **visitors):
    ...         self.calls.append((node.__name__, figtype))
    ...     def add_directive(self, name, directive):
    ...         self.calls.append((name, directive.__name__))
    >>> app = App()
    >>> setup(app)["parallel_read_safe"], app.calls
    (True, [('numtable', 'table'), ('numtable', 'NumTableDirective')])
    """
    other = (_visit_other, _depart_other)
    app.add_enumerable_node(numtable, "table", html=(_visit_html, _depart_html), latex=other, text=other,
                            man=other, texinfo=other)
    app.add_directive("numtable", _directive())
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
