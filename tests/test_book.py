"""Book smoke test: build the real book offline, then check pages and incremental make."""

import re
import shutil
import subprocess

import pytest


def _offline(cmd):
    # Build without network when the machine allows a private network namespace
    # (CI runs as root); loopback stays up because Jupyter kernels talk over it.
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n", "bash", "-c", "ip link set lo up 2>/dev/null; exec \"$@\"", "_", *cmd]
    return cmd


@pytest.fixture(scope="module")
def built_book(root):
    result = subprocess.run(_offline(["make", "-C", str(root), "book"]), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "book" / "_build" / "html"


def test_book_pages_exist_and_say_the_data_are_synthetic(built_book):
    index = (built_book / "index.html").read_text(encoding="utf-8")
    assert "Synthetic data" in index
    # the glued hypothesis count arrives from the executed overview notebook
    assert re.search(r"into\s*(<[^>]+>\s*)*7(\s*<[^>]+>)*\s*testable", index)
    overview = (built_book / "notebooks" / "00-overview.html").read_text(encoding="utf-8")
    assert "H7" in overview and "doi:10.11648/j.jppa.20250902.11" in overview
    appendix = (built_book / "reproducibility.html").read_text(encoding="utf-8")
    assert "jupyter-book" in appendix and "Git commit" in appendix


def test_book_loads_no_remote_assets(built_book):
    for page in built_book.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', text), page


def test_second_make_all_has_nothing_to_do(root, built_book):
    # `make -q` exits 0 only when every target is up to date.
    assert subprocess.run(["make", "-C", str(root), "-q", "all"]).returncode == 0
