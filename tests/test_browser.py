"""The book in a real browser: Debian's Chromium, driven by Playwright (hpmob.browser)."""

from pathlib import Path

import pytest

from hpmob.browser import CHROMIUM, check_book, link_problems, text_problems

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing; `make test` installs it")

# A page in the book's theme structure with one instance of every defect the check knows.
BROKEN = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0; } article.bd-article { width: 690px; margin-left: 100px; }
.scroller { overflow-x: auto; }
</style></head><body><article class="bd-article">
<h1 id="top">A broken chapter</h1>
<table><tr><td style="min-width: 1400px">a table far wider than the column</td></tr></table>
<div class="scroller"><table><tr><td style="min-width: 1400px">scrolls, but without the cue</td></tr></table></div>
<p><img src="plot.png" alt="plot.png" width="100"></p>
<div class="cell docutils container"><div class="cell_input docutils container"><pre>print("hello")</pre></div></div>
<pre>Traceback (most recent call last):
UserWarning: mean of empty slice, written to /home/someone/hpmob/results/tables/x.csv
n_agree  &lt;NA&gt;  NaN
&lt;IPython.core.display.Markdown object&gt;</pre>
<p>The grid of `variants.yaml` has 6 specifications (a sentence glued as text, not Markdown).</p>
<p><a href="missing.html">a missing page</a>, <a href="#nowhere">a missing anchor</a>,
<a href="good.html#nothere">an anchor missing elsewhere</a>, <a href="#top">fine</a></p>
</article></body></html>"""

GOOD = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0; } article.bd-article { width: 690px; margin-left: 100px; }
.hpmob-frame { overflow-x: auto; }
</style></head><body><article class="bd-article">
<h1 id="intro">A good chapter</h1>
<figure id="fig-a"><img src="plot.png" alt="Bar chart of agreement by item" width="300">
<figcaption><p>Figure 1. Agreement by item.</p></figcaption></figure>
<div class="cell tag_listing docutils container"><div class="cell_input docutils container"><pre>PM ~ AW</pre></div></div>
<div class="hpmob-frame hpmob-scrolls"><table><tr><td style="min-width: 1400px">wide, in a frame with its cue</td>
</tr></table></div>
<p>Nanang read 5 &lt; 7 — no warning here. <a href="broken.html#top">back</a></p>
<p>The grid of <code>variants.yaml</code>; a listing may hold a backtick:</p><pre>echo `date`</pre>
</article></body></html>"""

# Results tables: one numbered by {numtable}, one by MyST's {table}, and three that are not numbered.
TABLES = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><article class="bd-article">
<h1 id="t">Tables</h1>
<div class="hpmob-numtable" id="tbl-good"><p class="hpmob-table-caption"><span class="caption-number">Table 3 </span>
<span class="caption-text">Item means.</span></p>
<div class="hpmob-frame"><table class="hpmob-table"><tr><td>first good one</td></tr></table></div></div>
<table class="table" id="tbl-md"><caption><span class="caption-number">Table 4 </span>
<span class="caption-text">A written table.</span></caption><tr><td>second good one</td></tr></table>
<div class="hpmob-frame"><table class="hpmob-table"><caption>Reliability</caption><tr><td>a caption, no number</td></tr>
</table></div>
<div class="hpmob-numtable" id="tbl-nonum"><p class="hpmob-table-caption"><span class="caption-text">Fit.</span></p>
<table class="hpmob-table"><tr><td>placed, but numfig is off</td></tr></table></div>
<table class="dataframe"><tr><td>a raw pandas table</td></tr></table>
</article></body></html>"""

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def pages(tmp_path):
    (tmp_path / "broken.html").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "good.html").write_text(GOOD, encoding="utf-8")
    (tmp_path / "plot.png").write_bytes(PNG)
    return tmp_path


def test_a_deliberately_broken_page_fails_on_every_defect(pages, tmp_path):
    problems = check_book(pages, screenshots=tmp_path / "shots", pages=[pages / "broken.html"])
    kinds = {p.kind for p in problems}
    assert kinds == {"overflow", "caption", "code", "markup", "text", "path", "link"}, problems
    details = "\n".join(map(str, problems))
    assert "px right of the column" in details and "without the visible scroll cue" in details
    assert "image without caption" in details and "image without alt text" in details
    for text in ("'Traceback'", "'Warning'", "'<NA>'", "'NaN'", "' object>'"):
        assert text in details, text
    assert "/home/someone/hpmob" in details
    assert "'missing.html': no such file" in details
    assert "#nowhere" in details and "#nothere in good.html" in details
    assert "#top" not in details
    assert 'literal backtick (unrendered Markdown) in "' in details and "of `variants.yaml` has" in details
    assert (tmp_path / "shots" / "broken.png").stat().st_size > 1000


def test_a_page_that_follows_the_rules_passes(pages):
    assert check_book(pages, pages=[pages / "good.html"]) == []


def test_a_results_table_without_a_numbered_caption_fails(tmp_path):
    (tmp_path / "tables.html").write_text(TABLES, encoding="utf-8")
    problems = check_book(tmp_path, pages=[tmp_path / "tables.html"])
    assert {p.kind for p in problems} == {"table"}, problems
    found = [p.detail for p in problems]
    assert len(found) == 3, found
    for cell in ("a caption, no number", "placed, but numfig is off", "a raw pandas table"):
        assert any(cell in d for d in found), (cell, found)
    assert not any("good one" in d for d in found)


def test_text_and_link_rules_without_a_browser(tmp_path):
    assert [p.kind for p in text_problems("p.html", "see file:///srv/x and /usr/lib/python3")] == ["path", "path"]
    assert text_problems("p.html", "a < .001 p-value, 12 / 30 officials, and/or /s") == []
    page = tmp_path / "p.html"
    page.write_text('<p id="a">x</p>', encoding="utf-8")
    assert link_problems(page, ["#a", "https://doi.org/x", "mailto:a@b"], {"a"}, {}) == []
    assert [p.kind for p in link_problems(page, ["/abs/page.html", "p.html#b"], {"a"}, {})] == ["path", "link"]


def test_print_pdf_writes_one_pdf_of_a_page(pages, tmp_path):
    from hpmob.browser import print_pdf

    out = print_pdf(pages / "good.html", tmp_path / "book.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") + data.count(b"/Type/Page") >= 1


def test_every_printed_page_carries_the_books_footer(tmp_path):
    """`make pdf` prints the book's synthetic-data footer (html.extra_footer) on every page."""
    import unicodedata

    from pypdf import PdfReader

    from hpmob.cli import main
    from hpmob.paths import project_root

    rows = "".join(f"<p>paragraph {k}</p>" for k in range(150))  # several A4 pages
    (tmp_path / "long.html").write_text(f"<html><body><h1>Long</h1>{rows}</body></html>", encoding="utf-8")
    assert main(["book-pdf", "--config", str(project_root() / "book" / "_config.yml"), str(tmp_path / "long.html"),
                 str(tmp_path / "long.pdf")]) == 0
    pages = PdfReader(tmp_path / "long.pdf").pages
    assert len(pages) >= 3
    for k, page in enumerate(pages, start=1):
        text = " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())  # "ﬃ" ligature -> "ffi"
        assert "Synthetic data: no number in this book describes real officials." in text, (k, text[-200:])
        assert f"{k} / {len(pages)}" in text
