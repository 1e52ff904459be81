"""Book smoke test: build the real book offline, then check pages and incremental make."""

import re
import subprocess
from pathlib import Path

import pytest
from conftest import make_env as _make_env

from hpmob.browser import CHROMIUM, book_pages, check_book


def test_book_pages_exist_and_say_the_data_are_synthetic(built_book):
    index = (built_book / "index.html").read_text(encoding="utf-8")
    assert "Synthetic data" in index
    # the glued hypothesis count arrives from the executed overview notebook
    assert re.search(r"into\s*(<[^>]+>\s*)*7(\s*<[^>]+>)*\s*testable", index)
    overview = (built_book / "notebooks" / "00-overview.html").read_text(encoding="utf-8")
    assert "H7" in overview and "doi:10.11648/j.jppa.20250902.11" in overview
    appendix = (built_book / "reproducibility.html").read_text(encoding="utf-8")
    assert "jupyter-book" in appendix and "Git commit" in appendix
    assert "hpmob_survey_export.csv" in appendix  # SHA-256 of the raw file is listed


def test_every_chapter_states_the_data_are_synthetic(built_book):
    pages = sorted(built_book.glob("*.html")) + sorted((built_book / "notebooks").glob("*.html"))
    pages = [p for p in pages if p.name not in {"genindex.html", "search.html"}]
    assert len(pages) >= 15
    for page in pages:
        assert "Synthetic data" in page.read_text(encoding="utf-8"), page.name


def test_cleaning_chapter_and_codebook_appendix_render(built_book):
    cleaning = (built_book / "notebooks" / "01-cleaning.html").read_text(encoding="utf-8")
    assert "cleaning_flow" in cleaning or "<img" in cleaning
    assert "straight_liner" in cleaning
    codebook = (built_book / "codebook.html").read_text(encoding="utf-8")
    assert "Hoàn toàn đồng ý" in codebook and "Strongly agree" in codebook and "AW5" in codebook


def test_book_loads_no_remote_assets(built_book):
    for page in built_book.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', text), page


def test_second_make_all_has_nothing_to_do(root, built_book):
    # `make -q` exits 0 only when every target is up to date.
    assert subprocess.run(["make", "-C", str(root), "-q", "all"], env=_make_env()).returncode == 0


def test_no_personal_data_downstream_of_raw(root, built_book):
    """Names, phones, e-mails and units of the raw export appear nowhere in processed data, results or the book."""
    from hpmob.codebook import load_codebook
    from hpmob.io import read_export
    from hpmob.privacy import find_personal_data

    raw = read_export(root / "data" / "raw" / "hpmob_survey_export.csv")
    places = [root / "data" / "processed", root / "results", built_book, root / "build" / "notebooks"]
    assert (root / "data" / "processed" / "responses.csv").exists()  # the places were really built
    assert find_personal_data(raw, load_codebook(), places) == []
    # and the search does find a value when one leaks
    leaked = root / "build" / "leak-check.txt"
    leaked.write_text(f"x {raw['email'].iloc[0]} y", encoding="utf-8")
    try:
        assert find_personal_data(raw, load_codebook(), [leaked]) == [(leaked, raw["email"].iloc[0])]
    finally:
        leaked.unlink()


# Notebook 02 concatenates the overall H7 rows with the by-level table, which already holds
# them (issue 17 phase 2 / the study layer removes the concat).
KNOWN_DUPLICATES: set[str] = set()


def _duplicated_results(root):
    import pandas as pd

    out = {}
    for path in sorted((root / "results" / "tables").glob("*.csv")):
        frame = pd.read_csv(path)
        if frame.duplicated().any():
            out[path.name] = int(frame.duplicated().sum())
    return out


def test_results_tables_have_no_duplicate_rows(root, built_book):
    assert len(list((root / "results" / "tables").glob("*.csv"))) >= 20  # the tables were really built
    assert set(_duplicated_results(root)) <= KNOWN_DUPLICATES



def test_no_results_table_has_duplicates_at_all(root, built_book):
    assert _duplicated_results(root) == {}


# The browser check of the built book lives here, beside the other tests of the built book:
# pytest-xdist keeps a file on one worker, so the worker that builds the book checks it, and the
# other worker does not sit waiting for the build (the check itself: tests/test_browser.py).
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing; `make test` installs it")
def test_built_book_passes_the_browser_check(built_book, root):
    problems = check_book(built_book, screenshots=root / "build" / "screenshots")
    assert len(book_pages(built_book)) >= 17
    shots = sorted((root / "build" / "screenshots").glob("*.png"))
    assert len(shots) == len(book_pages(built_book))
    assert problems == [], "\n".join(map(str, problems))
