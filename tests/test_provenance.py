import hashlib

from hpmob.provenance import (
    git_commit,
    locked_packages,
    raw_file_checksums,
    reproducibility_markdown,
    sha256_file,
)


def test_sha256_matches_the_fips_test_vector(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    # FIPS 180-2, appendix B.1
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_raw_checksums_skip_bookkeeping_files(tmp_path):
    (tmp_path / ".gitkeep").write_text("")
    (tmp_path / "export.csv").write_bytes(b"a,b\n1,2\n")
    table = raw_file_checksums(tmp_path)
    assert list(table["file"]) == ["export.csv"]
    assert table.loc[0, "sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert table.loc[0, "bytes"] == 8


def test_locked_packages_reads_pins_not_hashes(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "numpy==2.4.6 \\\n    --hash=sha256:00\n    # via pandas\n"
        "pandas==3.1.1 ; python_version >= '3.11' \\\n    --hash=sha256:11\n"
    )
    table = locked_packages(lock)
    assert table.to_dict("records") == [
        {"package": "numpy", "version": "2.4.6"},
        {"package": "pandas", "version": "3.1.1"},
    ]


def test_shipped_lockfile_pins_jupyter_book_1_and_has_hashes(root):
    table = locked_packages(root / "requirements.lock").set_index("package")["version"]
    assert table["jupyter-book"].startswith("1.")
    text = (root / "requirements.lock").read_text()
    # every pin is followed by its hashes (the line continues with a backslash)
    pins = [line for line in text.splitlines() if "==" in line and not line.startswith(" ")]
    assert all(line.rstrip().endswith("\\") for line in pins)
    # no registry address is recorded (httpx/httpcore are package names)
    assert "://" not in text


def test_reproducibility_page_lists_environment(root):
    page = reproducibility_markdown(root)
    assert "# Reproducibility" in page
    assert "| jupyter-book |" in page
    assert git_commit(root).split("-")[0] in page
