"""Author–year citations for the book (a Sphinx extension for sphinxcontrib-bibtex).

sphinxcontrib-bibtex's ``author_year`` reference style cites in square brackets and the
pybtex ``plain`` style labels the reference list with numbers, so a page citing
"(Cronbach, 1951)" would send the reader to a list numbered [1]–[42]. This extension
registers two plugins and the book's ``_config.yml`` selects them:

* ``author_year_round`` — in-text citations in round brackets: "(Cronbach, 1951)",
  "Cronbach (1951)";
* ``plain_author_year`` — the ``plain`` reference list labelled "Cronbach 1951",
  "Hu and Bentler 1999", "Henseler et al. 2015" (a, b, … added to equal labels); an entry
  without author or editor is labelled by its ``key`` field.

Load it with ``sphinx: extra_extensions: [hpmob.bibstyle]``.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass, field

import latexcodec  # noqa: F401  (registers the 'ulatex' codec; a pybtex dependency)
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _name(person) -> str:
    """A person's last name(s) as printed: LaTeX accents decoded, BibTeX's protecting braces gone."""
    latex = " ".join(person.prelast_names + person.last_names)
    return re.sub(r"[{}]", "", codecs.decode(latex, "ulatex")).strip()


def author_year_label(entry) -> str:
    """Return the author–year label of a pybtex entry (without the a/b suffix).

    Parameters
    ----------
    entry : pybtex.database.Entry
        The entry; its authors, else its editors, else its ``key`` field name it.

    Returns
    -------
    str
        One name, "A and B", or "A et al.", then the year (``n.d.`` without one).

    Examples
    --------
    >>> from pybtex.database import Entry, Person
    >>> e = Entry("article", fields={"year": "1999"}, persons={"author": [Person("Hu, Li-tze"),
    ...                                                                  Person("Bentler, Peter M.")]})
    >>> author_year_label(e)
    'Hu and Bentler 1999'
    >>> author_year_label(Entry("article", fields={"year": "1989"}, persons={"author": [
    ...     Person("Byrne, Barbara M."), Person("Shavelson, R."), Person(r"Muth{\\'e}n, Bengt")]}))
    'Byrne et al. 1989'
    >>> author_year_label(Entry("misc", fields={"year": "2025", "key": "JPPA"}))
    'JPPA 2025'
    """
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    if len(persons) == 0:
        who = re.sub(r"[{}]", "", entry.fields.get("key", "")) or "Anonymous"
    elif len(persons) == 1:
        who = _name(persons[0])
    elif len(persons) == 2:
        who = f"{_name(persons[0])} and {_name(persons[1])}"
    else:
        who = f"{_name(persons[0])} et al."
    return f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """pybtex label style: "Author Year", with a, b, … when two entries share a label.

    Examples
    --------
    >>> from pybtex.database import BibliographyData, Entry, Person
    >>> def article(title):
    ...     return Entry("article", fields={"year": "1999", "title": title, "journal": "J"},
    ...                  persons={"author": [Person("Hu, Li-tze")]})
    >>> bib = BibliographyData({"a": article("One"), "b": article("Two")})
    >>> list(AuthorYearLabelStyle().format_labels(bib.entries.values()))
    ['Hu 1999a', 'Hu 1999b']
    """

    def format_labels(self, sorted_entries):
        """Yield the label of each entry, in order, with a, b, … where labels repeat.

        Parameters
        ----------
        sorted_entries : iterable of pybtex.database.Entry
            The bibliography's entries in their sorted order.

        Yields
        ------
        str
            :func:`author_year_label`, suffixed when another entry has the same one.

        Examples
        --------
        >>> from pybtex.database import Entry, Person
        >>> entries = [Entry("book", fields={"year": "2015"}, persons={"author": [Person("Kline, Rex B.")]})] * 2
        >>> list(AuthorYearLabelStyle().format_labels(entries))
        ['Kline 2015a', 'Kline 2015b']
        """
        entries = list(sorted_entries)
        labels = [author_year_label(e) for e in entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label]]
                seen[label] += 1
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    """pybtex's ``plain`` formatting with author–year labels.

    Parameters
    ----------
    label_style, name_style, sorting_style : str, optional
        pybtex plugin names, as for pybtex's ``BaseStyle`` (the labels default to
        ``author_year``).
    abbreviate_names : bool
        Abbreviate first names.
    min_crossrefs : int
        As pybtex's ``BaseStyle``.
    **kwargs
        Passed to pybtex's ``BaseStyle``.

    Examples
    --------
    >>> from pybtex.database import BibliographyData, Entry, Person
    >>> def article(title):
    ...     return Entry("article", fields={"year": "1999", "title": title, "journal": "J"},
    ...                  persons={"author": [Person("Hu, Li-tze")]})
    >>> bib = BibliographyData({"a": article("One"), "b": article("Two")})
    >>> _ = setup(None)  # what Sphinx does when it loads the extension: registers the label style
    >>> [entry.label for entry in AuthorYearStyle().format_bibliography(bib)]
    ['Hu 1999a', 'Hu 1999b']
    """

    default_label_style = "author_year"


def _round_brackets():
    from sphinxcontrib.bibtex.style.referencing import BracketStyle

    return BracketStyle(left="(", right=")")


def _reference_style():
    from sphinxcontrib.bibtex.style.referencing.author_year import (
        AuthorYearReferenceStyle,
    )

    @dataclass
    class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
        """sphinxcontrib-bibtex's author–year citations with round brackets."""

        bracket_parenthetical: object = field(default_factory=_round_brackets)
        bracket_textual: object = field(default_factory=_round_brackets)
        bracket_author: object = field(default_factory=_round_brackets)
        bracket_label: object = field(default_factory=_round_brackets)
        bracket_year: object = field(default_factory=_round_brackets)

    return RoundAuthorYearReferenceStyle


def setup(app):
    """Register the plugins (Sphinx calls this when the extension is loaded).

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The Sphinx application (unused: the plugins are registered with pybtex and
        sphinxcontrib-bibtex directly).

    Returns
    -------
    dict
        The extension's metadata: safe for parallel reading and writing.

    Examples
    --------
    >>> from hpmob.bibstyle import setup
    >>> setup(None)
    {'parallel_read_safe': True, 'parallel_write_safe': True}
    """
    import sphinxcontrib.bibtex.plugin

    register_plugin("pybtex.style.labels", "author_year", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "plain_author_year", AuthorYearStyle)
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", "author_year_round", _reference_style())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
