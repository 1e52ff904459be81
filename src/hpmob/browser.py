"""Look at the built book the way a reader does: in a real browser (Debian's Chromium).

Playwright drives the system Chromium (``/usr/bin/chromium``; no browser is downloaded)
over the HTML build of the book. :func:`check_book` opens every page at a desktop width,
saves a full-page screenshot of it and reports what a reviewer would object to:

* ``overflow`` — a table, figure or output wider than the text column, unless it scrolls
  inside its own frame *and* that frame shows the scroll cue (class ``hpmob-scrolls``,
  set by the book's ``hpmob.js``);
* ``caption`` — an image that is not in a captioned figure, or has no alt text;
* ``table`` — a results table (rendered by :mod:`hpmob.tables`, a pandas or a Markdown table)
  without a numbered caption ("Table N" and its text: ``{numtable}`` of :mod:`hpmob.numtable`,
  or MyST's ``{table}``), which the text could not cite;
* ``code`` — a visible notebook code cell not tagged as a deliberate listing;
* ``markup`` — a literal backtick in the prose, outside code: Markdown that was glued or
  written as plain text and never rendered;
* ``text`` — "Traceback", "Warning", "<NA>", "NaN" or an object's repr ("<IPython.core.display.Markdown
  object>": an output that had nothing to show) in the visible text;
* ``path`` — an absolute local path in the visible text or a link;
* ``link`` — a local link to a missing file or to an anchor the target page lacks.

:func:`print_pdf` prints a page (the single-page build of the whole book) to one PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Debian's Chromium; `make test` and `make pdf` install it when it is missing.
CHROMIUM = "/usr/bin/chromium"
#: Flags for a headless, quiet, offline-friendly Chromium (no sync, updates or first-run UI).
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")
#: Texts that must not appear on a page (case-sensitive; "Warning" also inside "UserWarning").
FORBIDDEN_TEXTS = ("Traceback", "Warning", "<NA>", "NaN", " object>")
#: Cell tags that mark a code cell shown on purpose (see hpmob.notebooks.LISTING_TAGS).
LISTING_CLASSES = ("tag_listing", "tag_show-input")
#: What the check counts as a results table: hpmob.tables' tables, pandas' and Markdown tables
#: (docutils gives them the class "table"); a table of the page's layout has none of these classes.
RESULTS_TABLES = "table.hpmob-table, table.dataframe, table.table, table.docutils"
#: Pages of the HTML build that are not the book's content.
SKIPPED_PAGES = frozenset({"genindex.html", "search.html", "py-modindex.html"})

_ABSOLUTE_PATH = re.compile(r"(?:file://|(?<![\w.~:/-])/(?:home|root|work|tmp|usr|opt|var|mnt|srv|Users)/)\S*")
# NaN only as a word (not in "NaNa"); the others wherever they occur.
_FORBIDDEN = re.compile("|".join(rf"(?<![A-Za-z]){t}(?![A-Za-z])" if t == "NaN" else re.escape(t)
                                 for t in FORBIDDEN_TEXTS))


@dataclass(frozen=True)
class Problem:
    """One defect found on one page of the book.

    Parameters
    ----------
    page : str
        The page, relative to the build.
    kind : str
        What kind of defect (``overflow``, ``caption``, ``code``, ``text``, ``path``, ``link``, ...).
    detail : str
        What exactly, in words.

    Examples
    --------
    >>> from hpmob.browser import Problem
    >>> print(Problem("chapter.html", "link", "'other.html': no such file"))
    chapter.html: link: 'other.html': no such file
    """

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


# Runs in the page: everything that needs the browser's layout and visibility.
_PAGE_SCRIPT = r"""
([listingClasses, RESULTS_TABLES]) => {
  const out = {overflow: [], caption: [], table: [], code: [], markup: [], links: [], ids: [], text: ""};
  const column = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const colRight = column.getBoundingClientRect().right + 1;
  const describe = (el) => {
    const id = el.id || (el.closest("[id]") || {}).id || "";
    return el.tagName.toLowerCase() + (id ? " in #" + id : "") + " " +
      (el.innerText || el.getAttribute("alt") || el.getAttribute("src") || "").trim().slice(0, 60).replace(/\s+/g, " ");
  };
  const scrollers = new Set();
  column.querySelectorAll("table, img, svg, figure, pre, div.cell_output div.output, .hpmob-frame").forEach((el) => {
    if (!el.checkVisibility()) return;
    let right = el.getBoundingClientRect().right;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === "auto" || ox === "scroll" || ox === "hidden") {
        right = Math.min(right, a.getBoundingClientRect().right);
        if (a.scrollWidth > a.clientWidth + 1) scrollers.add(a);
      }
    }
    if (right > colRight) out.overflow.push(describe(el) + " ends " + Math.round(right - colRight) + " px right of the column");
  });
  scrollers.forEach((a) => {
    if (!a.classList.contains("hpmob-scrolls") && column.contains(a))
      out.overflow.push(describe(a) + " scrolls sideways without the visible scroll cue");
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    out.overflow.push("the page itself is " + (document.documentElement.scrollWidth - window.innerWidth) + " px wider than the window");
  column.querySelectorAll("img").forEach((img) => {
    if (!img.checkVisibility()) return;
    const fig = img.closest("figure");
    const cap = fig && fig.querySelector("figcaption");
    if (!cap || !cap.innerText.trim()) out.caption.push("image without caption: " + describe(img));
    const alt = (img.getAttribute("alt") || "").trim();
    if (!alt || /\.(png|svg|jpe?g)$/i.test(alt)) out.caption.push("image without alt text: " + describe(img));
  });
  // results tables: numbered ("Table N") with a caption, by {numtable} (around it) or {table} (its own)
  column.querySelectorAll(RESULTS_TABLES).forEach((table) => {
    if (!table.checkVisibility()) return;
    const holder = table.closest(".hpmob-numtable");
    const cap = holder ? holder.querySelector(":scope > .hpmob-table-caption") : table.querySelector(":scope > caption");
    const number = cap && cap.querySelector(".caption-number");
    const text = cap && cap.querySelector(".caption-text");
    if (!number || !/^Table\s+\d/.test(number.innerText.trim()) || !text || !text.innerText.trim())
      out.table.push("results table without a numbered caption: " + describe(table));
  });
  column.querySelectorAll("div.cell_input").forEach((el) => {
    if (!el.checkVisibility()) return;
    const cell = el.closest("div.cell");
    if (cell && listingClasses.some((c) => cell.classList.contains(c))) return;
    out.code.push("visible code cell: " + el.innerText.trim().split("\n")[0].slice(0, 80));
  });
  document.querySelectorAll("a[href]").forEach((a) => out.links.push(a.getAttribute("href")));
  document.querySelectorAll("img[src]").forEach((i) => out.links.push(i.getAttribute("src")));
  document.querySelectorAll("[id], a[name]").forEach((e) => out.ids.push(e.id || e.getAttribute("name")));
  // Markdown that was never rendered: a backtick in visible prose, outside code and listings
  // (a sentence glued as text rather than Markdown shows its `code` spans literally)
  const walker = document.createTreeWalker(column, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.nodeValue.includes("`")) continue;
    const el = node.parentElement;
    if (!el || el.closest("pre, code, kbd, samp, div.cell_input, .highlight") || !el.checkVisibility()) continue;
    const at = node.nodeValue.indexOf("`");
    out.markup.push("literal backtick (unrendered Markdown) in " + JSON.stringify(
      node.nodeValue.slice(Math.max(0, at - 40), at + 40).replace(/\s+/g, " ")));
  }
  out.text = column.innerText;
  return out;
}
"""


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")


def _ids_of(page: Path, cache: dict) -> set[str]:
    if page not in cache:
        parser = _Ids()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        cache[page] = parser.ids
    return cache[page]


def book_pages(html_dir: str | Path) -> list[Path]:
    """Return the content pages of an HTML build (no index/search pages, no static files).

    Parameters
    ----------
    html_dir : path-like
        The HTML build.

    Returns
    -------
    list of pathlib.Path
        Sorted; ``genindex``/``search`` pages and ``_static``, ``_sources``, ``_images`` left out.

    Examples
    --------
    >>> from hpmob.browser import book_pages
    >>> import tempfile
    >>> from pathlib import Path
    >>> html_dir = Path(tempfile.mkdtemp())
    >>> _ = (html_dir / "page.html").write_text('<html><head><title>T</title></head><body><h1 id="top">Tiny</h1>'
    ...                                         '<p>One page, <a href="#top">back to the top</a>.</p></body></html>')
    >>> (html_dir / "_static").mkdir()
    >>> _ = (html_dir / "_static" / "x.html").write_text("")
    >>> [p.name for p in book_pages(html_dir)]
    ['page.html']
    """
    html_dir = Path(html_dir)
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in SKIPPED_PAGES and not {"_static", "_sources", "_images"} & set(p.parts))


def text_problems(page: str, text: str) -> list[Problem]:
    """Find forbidden texts and absolute paths in a page's visible text.

    Parameters
    ----------
    page : str
        The page's name, for the problems.
    text : str
        Its visible text.

    Returns
    -------
    list of Problem
        One per forbidden text (``NaN``, an object repr, ...) and per absolute path.

    Examples
    --------
    >>> [p.kind for p in text_problems("x.html", "mean NaN, see /home/me/hpmob/results")]
    ['text', 'path']
    >>> text_problems("x.html", "Nanang warned: 5 < NAN > 3")
    []
    """
    found = [Problem(page, "text", f"{m.group(0)!r} in {_context(text, m)!r}") for m in _FORBIDDEN.finditer(text)]
    found += [Problem(page, "path", f"absolute path {m.group(0)!r}") for m in _ABSOLUTE_PATH.finditer(text)]
    return found


def _context(text: str, match: re.Match) -> str:
    return text[max(0, match.start() - 40):match.end() + 40].replace("\n", " ")


def link_problems(page: Path, links: list[str], ids: set[str], cache: dict) -> list[Problem]:
    """Find the broken local links and anchors of one page.

    Parameters
    ----------
    page : pathlib.Path
        The page's file.
    links : list of str
        Its ``href`` values (repeats are checked once; web, mail and data links are skipped).
    ids : set of str
        The ids the page itself has.
    cache : dict
        Ids of the other pages already read, filled as pages are read.

    Returns
    -------
    list of Problem
        Links to absolute paths, to missing files and to missing anchors.

    Examples
    --------
    >>> from hpmob.browser import link_problems
    >>> import tempfile
    >>> from pathlib import Path
    >>> html_dir = Path(tempfile.mkdtemp())
    >>> _ = (html_dir / "page.html").write_text('<html><head><title>T</title></head><body><h1 id="top">Tiny</h1>'
    ...                                         '<p>One page, <a href="#top">back to the top</a>.</p></body></html>')
    >>> page = html_dir / "page.html"
    >>> [p.detail for p in link_problems(page, ["#top", "#gone", "other.html", "https://doi.org/x"], {"top"}, {})]
    ["'#gone': no anchor #gone in page.html", "'other.html': no such file"]
    """
    found = []
    for href in dict.fromkeys(links):
        parts = urlsplit(href)
        if parts.scheme in {"http", "https", "mailto", "data", "javascript"} or parts.netloc:
            continue
        if parts.scheme == "file" or href.startswith("/"):
            found.append(Problem(page.name, "path", f"link to an absolute path {href!r}"))
            continue
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if parts.path and not target.exists():
            found.append(Problem(page.name, "link", f"{href!r}: no such file"))
            continue
        anchor = unquote(parts.fragment)
        if anchor and target.suffix == ".html":
            known = ids if target == page.resolve() else _ids_of(target, cache)
            if anchor not in known:
                found.append(Problem(page.name, "link", f"{href!r}: no anchor #{anchor} in {target.name}"))
    return found


def _launch(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (`make test` does: "
                           "apt-get install -y chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True)


def check_book(html_dir: str | Path, *, screenshots: str | Path | None = None, width: int = 1280,
               height: int = 900, pages: list[Path] | None = None) -> list[Problem]:
    """Open every page of an HTML build in Chromium and return the problems found.

    Parameters
    ----------
    html_dir : path-like
        The build, e.g. ``book/_build/html``.
    screenshots : path-like, optional
        Folder for one full-page PNG per page (named after the page's path).
    width, height : int
        Window size in CSS pixels (1280 px: a reviewer's laptop).
    pages : list of path, optional
        Pages to open; defaults to :func:`book_pages`.

    Returns
    -------
    list of Problem
        Empty when every page passes.

    Examples
    --------
    A one-page build in a temporary folder (Chromium starts in a second or two):

    >>> from hpmob.browser import check_book
    >>> import tempfile
    >>> from pathlib import Path
    >>> html_dir = Path(tempfile.mkdtemp())
    >>> _ = (html_dir / "page.html").write_text('<html><head><title>T</title></head><body><h1 id="top">Tiny</h1>'
    ...                                         '<p>One page, <a href="#top">back to the top</a>.</p></body></html>')
    >>> check_book(html_dir)
    []
    """
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir).resolve()
    pages = [Path(p).resolve() for p in (pages if pages is not None else book_pages(html_dir))]
    if screenshots is not None:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
    problems: list[Problem] = []
    cache: dict = {}
    with sync_playwright() as pw:
        browser = _launch(pw)
        view = browser.new_page(viewport={"width": width, "height": height})
        for page in pages:
            name = page.relative_to(html_dir).as_posix() if page.is_relative_to(html_dir) else page.name
            view.goto(page.as_uri(), wait_until="load")
            view.wait_for_timeout(100)  # let hpmob.js mark the scrolling frames
            seen = view.evaluate(_PAGE_SCRIPT, [list(LISTING_CLASSES), RESULTS_TABLES])
            problems += [Problem(name, "overflow", d) for d in seen["overflow"]]
            problems += [Problem(name, "caption", d) for d in seen["caption"]]
            problems += [Problem(name, "table", d) for d in seen["table"]]
            problems += [Problem(name, "code", d) for d in seen["code"]]
            problems += [Problem(name, "markup", d) for d in seen["markup"]]
            problems += text_problems(name, seen["text"])
            problems += [Problem(name, p.kind, p.detail) for p in
                         link_problems(page, seen["links"], set(seen["ids"]), cache)]
            if screenshots is not None:
                view.screenshot(path=str(Path(screenshots) / (name.replace("/", "__")[:-5] + ".png")),
                                full_page=True)
        browser.close()
    return problems


def print_pdf(html: str | Path, out: str | Path, footer: str = "") -> Path:
    """Print one HTML page (e.g. the single-page build of the book) to a PDF with Chromium.

    A4 pages, the book's print stylesheet (no sidebars, nothing scrolls), backgrounds kept
    so table rules and figure colours print; every page's foot has ``footer`` and the
    page number.

    Parameters
    ----------
    html : path-like
        The page.
    out : path-like
        The PDF to write (its folder is created if missing).
    footer : str
        Plain text printed at the foot of every page (e.g. the book's synthetic-data note,
        so that no printed page lacks it).

    Returns
    -------
    pathlib.Path
        ``out``.

    Examples
    --------
    >>> from hpmob.browser import print_pdf
    >>> import tempfile
    >>> from pathlib import Path
    >>> html_dir = Path(tempfile.mkdtemp())
    >>> _ = (html_dir / "page.html").write_text('<html><head><title>T</title></head><body><h1 id="top">Tiny</h1>'
    ...                                         '<p>One page, <a href="#top">back to the top</a>.</p></body></html>')
    >>> print_pdf(html_dir / "page.html", html_dir / "page.pdf").read_bytes()[:5]
    b'%PDF-'
    """
    from playwright.sync_api import sync_playwright

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = _launch(pw)
        view = browser.new_page()
        view.goto(Path(html).resolve().as_uri(), wait_until="load")
        view.emulate_media(media="print")
        view.pdf(path=str(out), format="A4", print_background=True,
                 margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                 display_header_footer=True, header_template="<span></span>",
                 footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                 + (escape(footer) + " · " if footer else "")
                                 + '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
        browser.close()
    return out
