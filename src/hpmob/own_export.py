"""Run the whole study on another team's export: validate, clean, analyse, build a book.

``hpmob run --raw EXPORT --codebook CODEBOOK --out DIR`` points the compendium at a
survey export other than the shipped one, with that survey's codebook (which may drop
constructs the team did not ask). :func:`run_own_export`:

1. checks the analysis plan against the codebook (:func:`hpmob.study.plan.load_plan`:
   every hypothesis, path and the grouping variable must exist in it) and validates every
   cell of the export against the codebook, stopping with one line per problem before
   anything runs;
2. executes notebooks 01–06 with papermill into ``DIR/notebooks`` — processed data in
   ``DIR/processed``, tables (the claims table is ``DIR/tables/claims.csv``) and figures
   in ``DIR/tables`` and ``DIR/figures`` — never touching the compendium's own results;
3. replaces the notebooks' "synthetic data" banner with the run's data statement
   (the shipped banner would be false for a real export);
4. builds a Jupyter Book for the run in ``DIR/book/_build/html``;
5. checks that no personal column of the export reached ``DIR`` (also when a notebook
   failed), and only then moves the finished run from ``.DIR.partial`` to ``DIR``.

Claims about constructs the plan declares ``optional`` and the codebook does not have are
kept in the claims table as "not testable with these data", with the reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from hpmob.clean import NO_GROUP_VALUE, CleaningResult, CleaningRules, clean_export
from hpmob.codebook import Codebook, load_codebook
from hpmob.disclosure import find_small_counts
from hpmob.io import MANIFEST_NAME, ExportError, Problem, read_export, sha256_file, validate_export
from hpmob.notebooks import run_plan
from hpmob.outdir import finish_run, start_run
from hpmob.paths import project_root
from hpmob.privacy import MIN_CELL, find_personal_data
from hpmob.study.plan import load_plan
from hpmob.study.steps import study_cleaning_rules
from hpmob.variants import DEFAULT_JOBS, plan_needs, variant_plan

#: The banner every study notebook opens with (a one-line quote beginning "**Synthetic data.**";
#: its wording is the study's); an own-export run replaces the whole line.
SYNTHETIC_BANNER = re.compile(r"^> \*\*Synthetic data\.\*\*[^\n]*", re.MULTILINE)


def default_data_statement(raw: Path) -> str:
    """Say what the book says about the data when the caller does not say more.

    Parameters
    ----------
    raw : pathlib.Path
        The export the book is computed from.

    Returns
    -------
    str
        One paragraph naming the file and the start of its SHA-256.

    Examples
    --------
    >>> from hpmob.own_export import default_data_statement
    >>> from hpmob.paths import project_root
    >>> default_data_statement(project_root() / "data" / "raw" / "hpmob_survey_export.csv")[:60]
    'Every number in this chapter is computed from `hpmob_survey_'
    """
    return (f"Every number in this chapter is computed from `{raw.name}` (SHA-256 "
            f"`{sha256_file(raw)[:16]}…`). Whether these data are synthetic or real is for whoever supplied "
            "them to state: pass `--data-statement` to `hpmob run --raw`.")


def check_own_export(raw: str | Path, codebook: Codebook, plan: str | Path | None = None, *,
                     invariance_constructs: list[str] | None = None) -> pd.DataFrame:
    """Check the plan against the codebook and validate the export before any notebook runs.

    Then the cleaned sample's design is checked against the plan's grouping (no
    respondent left, a blank or single group, a group too small for the invariance
    model of ``grouping.constructs``, or of ``invariance_constructs`` when given).

    Parameters
    ----------
    raw : path-like
        The export.
    codebook : Codebook
        That survey's codebook.
    plan : path-like, optional
        Its analysis plan (default the shipped one).
    invariance_constructs : list of str, optional
        Constructs of the invariance model whose group sizes are checked, instead of the
        plan's ``grouping.constructs``.

    Returns
    -------
    DataFrame
        The export as read (:func:`hpmob.io.read_export`); warnings (implausible values
        that cleaning excludes) do not stop the run.

    Raises
    ------
    hpmob.study.plan.PlanError
        If the plan names a construct, path or group the codebook does not have (every
        problem with file, line, entry and what to do).
    hpmob.io.ExportError
        If the export does not match the codebook (missing columns, unknown labels,
        wrong types); every problem is listed with file, row, column and value.

    Examples
    --------
    >>> from hpmob.codebook import load_codebook
    >>> from hpmob.own_export import check_own_export
    >>> from hpmob.paths import project_root
    >>> frame = check_own_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv", load_codebook())
    >>> frame.shape
    (520, 53)
    """
    analysis_plan = load_plan(plan, codebook=codebook)
    grouping = analysis_plan.grouping or {}
    frame = read_export(raw)
    problems = validate_export(frame, codebook, source=str(raw))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ExportError(errors)
    group = grouping.get("variable")
    levels = [str(v) for v in grouping.get("order") or []] if group else []
    # the cleaning the study will run: its small groups merged in the plan's breakdowns, the
    # plan's required group value included
    result = clean_export(frame, codebook,
                          study_cleaning_rules(CleaningRules(), codebook, analysis_plan))
    design = design_problems(result, str(raw), levels, level=group)
    if not design and levels:
        constructs = list(grouping.get("constructs") or []) if invariance_constructs is None else invariance_constructs
        design = _invariance_problems(result, codebook, str(raw), levels, constructs, group)
    if design:
        raise ExportError(design)
    return frame


def _invariance_problems(result: CleaningResult, codebook: Codebook, source: str, levels: list[str],
                         constructs: list[str], group: str) -> list[Problem]:
    """Groups with too few complete answers for the plan's multigroup model (a deep error otherwise)."""
    items = [i for c in constructs if c in codebook.reflective_constructs for i in codebook.items_of(c)]
    if not items:
        return []
    complete = result.responses.dropna(subset=items)
    short = [lev for lev in levels if (complete[group].astype(str) == lev).sum() < len(items) + 1]
    if not short:
        return []
    return [Problem(source, None, group, None,
                    f"{group} group(s) {', '.join(short)} have fewer than {len(items) + 1} respondents who answered "
                    f"every item of {', '.join(c for c in constructs if c in codebook.reflective_constructs)}; the "
                    "invariance model of notebook 04 needs that many per group",
                    "declare fewer constructs under grouping.constructs in the analysis plan (--plan), or "
                    "analyse an export with more respondents in those groups")]



#: Groups the comparisons across groups need (invariance, latent means).
MIN_LEVELS = 2


def design_problems(result: CleaningResult, source: str, codebook_levels: list[str], *,
                    level: str | None) -> list[Problem]:
    """Find degenerate samples before any notebook runs (not as a TypeError deep in one).

    No respondent, a single group, or a blank grouping column cannot be analysed by
    notebooks 01–06; groups with too few respondents were already merged by cleaning
    (:class:`hpmob.clean.CleaningRules`), so what remains is counted here. `level` is the
    plan's grouping variable (None: a plan without one, only the empty sample is checked).

    Parameters
    ----------
    result : CleaningResult
        The cleaned sample.
    source : str
        The export's name, for the messages.
    codebook_levels : list of str
        The grouping variable's values in the codebook's order.
    level : str or None
        The plan's grouping variable.

    Returns
    -------
    list of Problem
        Empty when the sample can be analysed.

    Examples
    --------
    >>> from hpmob.clean import clean_export
    >>> from hpmob.io import load_export
    >>> from hpmob.own_export import design_problems
    >>> from hpmob.paths import project_root
    >>> result = clean_export(load_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv"))
    >>> design_problems(result, "export.csv", ["a", "b"], level=None)
    []
    >>> design_problems(result.__class__(result.responses.iloc[:0], result.exclusions, result.flow, result.rules),
    ...                 "export.csv", [], level=None)[0].problem[:30]
    'no respondent remains after cl'
    """
    flow = ", ".join(f"{r.rule} {r.n_excluded}" for r in result.flow.itertuples() if r.n_excluded)
    n = len(result.responses)
    if n == 0 and (result.exclusions["rule"] == NO_GROUP_VALUE).any():
        # the rule that excludes respondents without a level took everyone the others kept
        return [Problem(source, None, level, None, "the level column is blank for every analysed respondent",
                        "the comparisons across governance levels need it: fill in each respondent's level")]
    if n == 0:
        return [Problem(source, None, None, None, f"no respondent remains after cleaning ({flow})",
                        "check the export: every submission was excluded by a cleaning rule")]
    if level is None or level not in result.responses:
        return []
    levels = result.responses[level].dropna()
    if levels.empty:
        return [Problem(source, None, level, None, f"the {level} column is blank for every analysed respondent",
                        f"the comparisons across groups need it: fill in each respondent's {level}")]
    merged = "" if result.merges is None or result.merges.empty else \
        " after merging groups with fewer than {} respondents ({})".format(
            result.rules.min_group, ", ".join(f"{m.group} into {m.merged_into}" for m in result.merges.itertuples()))
    present = [v for v in codebook_levels if (levels == v).any()]
    if len(present) < MIN_LEVELS:
        return [Problem(source, None, level, None,
                        f"only one group of {level} ({present[0]}) remains{merged}; the comparisons across "
                        f"groups (invariance, latent means) need at least {MIN_LEVELS}",
                        "analyse an export with respondents from at least two groups")]
    absent = [v for v in codebook_levels if v not in present]
    if absent:
        # Notebooks 04-06 compare every level of the codebook (reference level, contrasts):
        # refuse here rather than fail in notebook 04 with a KeyError.
        return [Problem(source, None, level, None,
                        f"no analysed respondents in {level} group(s) {', '.join(absent)}{merged}; the study's "
                        "notebooks compare every group the plan orders",
                        f"analyse an export with at least {result.rules.min_group} respondents in every group")]
    return []


def _replace_banner(notebook: Path, statement: str) -> None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    replaced = False
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            if SYNTHETIC_BANNER.search(text):
                cell["source"] = SYNTHETIC_BANNER.sub(lambda _: f"> **Data.** {statement}", text)
                replaced = True
    if not replaced:  # a notebook without the banner would silently keep a false claim elsewhere
        raise RuntimeError(f"{notebook}: the data banner was not found; update SYNTHETIC_BANNER")
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _book_files(book: Path, notebooks: list[Path], raw: Path, codebook: Codebook, statement: str,
                title: str) -> None:
    from hpmob.bookpages import codebook_markdown
    from hpmob.notebooks import book_notebook

    shipped = project_root() / "book"
    (book / "notebooks").mkdir(parents=True, exist_ok=True)
    for nb in notebooks:  # the same page copies as the compendium's book: no code, no local paths
        book_notebook(nb, book / "notebooks" / nb.name, root=book.parent)
    # full-resolution figures: {download} links resolve beside the pages, galleries at the site root
    for folder in (book / "notebooks" / "figures", book / "_extra" / "figures"):
        folder.mkdir(parents=True, exist_ok=True)
        for png in sorted((book.parent / "figures").glob("*.png")):
            shutil.copy2(png, folder / png.name)
    shutil.copytree(shipped / "_static", book / "_static", dirs_exist_ok=True)
    # the works the chapters cite, and the page that lists them (sphinxcontrib-bibtex needs one)
    shutil.copy2(shipped / "references.bib", book / "references.bib")
    (book / "bibliography.md").write_text(
        f"# References\n\n> **Data.** {statement}\n\n```{{bibliography}}\n:all:\n```\n", encoding="utf-8")
    # the compendium's book settings (citations, MyST in outputs, numbered figures, table frames)
    config = yaml.safe_load((shipped / "_config.yml").read_text(encoding="utf-8"))
    config.update({"title": title, "author": "hpmob", "copyright": ""})
    config["html"]["extra_footer"] = statement
    sphinx = config["sphinx"]["config"]
    # the data statement is the caller's text: no "--" turned into a dash
    sphinx.update({"smartquotes": False, "html_show_copyright": False})
    # The chapters link to the compendium's methods and discussion pages, which a run on
    # another export does not have: those links stay plain text instead of failing the build.
    sphinx["suppress_warnings"] = [*sphinx.get("suppress_warnings", []), "ref.ref", "ref.doc", "ref.numref"]
    (book / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    toc = {"format": "jb-book", "root": "index",
           "chapters": [{"file": f"notebooks/{nb.stem}"} for nb in notebooks] + [{"file": "codebook"},
                                                                                  {"file": "bibliography"}]}
    (book / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    asked = ", ".join(f"{c} ({label})" for c, label in
                      codebook.constructs.set_index("code")["label_en"].items())
    index = "\n".join([
        f"# {title}", "", f"> **Data.** {statement}", "",
        f"The hpmob compendium's analysis (notebooks 01–06) run on `{raw.name}` with the codebook "
        f"`{Path(codebook.source).name}` by `hpmob run --raw`. Constructs in this codebook: {asked}.", "",
        "Chapters: validation and cleaning, descriptives and reliability, measurement model, invariance "
        "across groups, structural model, and the claims table, in which claims about "
        "constructs this survey did not ask are marked *not testable with these data*.", "",
    ])
    (book / "index.md").write_text(index, encoding="utf-8")
    page = codebook_markdown(codebook, note=f"> **Data.** {statement}\n", source_name=Path(codebook.source).name)
    (book / "codebook.md").write_text(page, encoding="utf-8")


def build_book(book: Path) -> Path:
    """Build a Jupyter Book 1.x folder offline-safe and strict, and return its ``index.html``.

    Parameters
    ----------
    book : pathlib.Path
        The book's folder (``_config.yml``, ``_toc.yml`` and its pages).

    Returns
    -------
    pathlib.Path
        ``_build/html/index.html`` under ``book``; a failed build is a ``RuntimeError`` with
        the end of the builder's log.

    Examples
    --------
    A one-page book in a temporary folder (a few seconds):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.own_export import build_book
    >>> book = Path(tempfile.mkdtemp())
    >>> _ = (book / "_config.yml").write_text("title: Tiny\\nexecute:\\n  execute_notebooks: 'off'\\n")
    >>> _ = (book / "_toc.yml").write_text("format: jb-book\\nroot: index\\n")
    >>> _ = (book / "index.md").write_text("# Tiny\\n\\nOne page.\\n")
    >>> build_book(book).is_file()
    True
    """
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", "--quiet", "--warningiserror", "--nitpick",
           "--keep-going", str(book)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"building the book in {book} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return book / "_build" / "html" / "index.html"


def run_own_export(raw: str | Path, codebook: str | Path, out: str | Path, *, plan: str | Path | None = None,
                   parameters: dict | None = None, data_statement: str | None = None, title: str | None = None,
                   book: bool = True) -> Path:
    """Validate, clean and analyse another export with its codebook, and build its book.

    Parameters
    ----------
    raw : path-like
        The export (CSV, XLSX or SAV). It is only read.
    codebook : path-like
        That survey's codebook YAML (the shipped one, or a copy with constructs removed).
    out : path-like
        Folder for everything the run writes: new, empty, or a previous run's folder. The run
        writes into the sibling ``.NAME.partial`` and moves there only when it finished;
        of a previous run's folder, only the files that run wrote are replaced
        (:mod:`hpmob.outdir`). Never inside the export's folder or ``data/raw``.
    plan : path-like, optional
        That study's analysis plan (default: the shipped ``data/analysis_plan.yaml``).
    parameters : dict, optional
        Notebook parameters (e.g. ``{"n_boot": 500}``); each must be declared by a notebook.
    data_statement : str, optional
        What the book says about the data (replaces the synthetic-data banner); defaults to
        :func:`default_data_statement`.
    title : str, optional
        Book title.
    book : bool
        Build the book (default) or stop after the notebooks.

    Returns
    -------
    pathlib.Path
        ``out``; the claims table is ``out/tables/claims.csv``, the book
        ``out/book/_build/html/index.html``.

    Raises
    ------
    hpmob.io.ExportError, ValueError
        Before anything runs, if the export does not match the codebook or the plan does
        not fit the codebook (:class:`hpmob.study.plan.PlanError`);
        :class:`hpmob.outdir.OutputFolderError` (a ValueError) for an unusable ``out``;
        :class:`hpmob.notebooks.NotebookError` if a notebook fails (its partial output
        stays in ``.NAME.partial``, checked for personal data).

    Examples
    --------
    A full run executes the notebooks and builds the book (minutes; ``tests/test_own_export.py``
    runs it). What it checks first costs nothing: an export without a column the codebook
    requires stops the run before any notebook starts, every problem listed.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.io import ExportError, read_export
    >>> from hpmob.own_export import run_own_export
    >>> from hpmob.paths import project_root
    >>> folder = Path(tempfile.mkdtemp())
    >>> frame = read_export(project_root() / "data" / "raw" / "hpmob_survey_export.csv").drop(columns=["age"])
    >>> frame.to_csv(folder / "export.csv", index=False)
    >>> try:
    ...     run_own_export(folder / "export.csv", project_root() / "data" / "codebook.yaml", folder / "out")
    ... except ExportError as err:
    ...     print([(p.column, p.problem) for p in err.problems])
    [('age', 'required column is missing')]
    >>> (folder / "out").exists()
    False
    """
    raw, codebook_path, out = Path(raw).resolve(), Path(codebook).resolve(), Path(out).resolve()
    if not raw.is_file():
        raise FileNotFoundError(f"{raw}: no such export")
    cb = load_codebook(codebook_path)
    plan_path = Path(plan).resolve() if plan is not None else None
    frame = check_own_export(raw, cb, plan_path)
    if raw.is_relative_to(out):
        raise ValueError(f"{raw} lies inside the output folder {out}; keep the export outside it (it is never modified)")
    # raw folders are read-only data: the compendium's, and the export's if it has a manifest
    raw_dirs = [project_root() / "data" / "raw", *([raw.parent] if (raw.parent / MANIFEST_NAME).is_file() else [])]
    work = start_run(out, refuse_inside=raw_dirs)
    try:
        _run_into(work, raw, codebook_path, cb, plan_path, parameters, data_statement, title, book)
    except KeyboardInterrupt:
        shutil.rmtree(work, ignore_errors=True)  # nothing of an interrupted run is kept
        raise
    except BaseException:
        # a failed run stays in the .partial folder for inspection: check it as a finished one
        _check_no_personal_data(frame, cb, work, "the failed run's partial output")
        raise
    _check_no_personal_data(frame, cb, work, "the run's output")
    _retarget_paths(work, out)
    return finish_run(work, out)


def _run_into(work: Path, raw: Path, codebook_path: Path, cb: Codebook, plan_path: Path | None, parameters,
              data_statement, title, book: bool) -> None:
    (work / "run.txt").write_text(f"raw: {raw}\ncodebook: {codebook_path}\n", encoding="utf-8")
    statement = data_statement or default_data_statement(raw)
    # study_file "": the shipped study's sampling frame does not describe another export
    params = {"raw_file": str(raw), "codebook_file": str(codebook_path), "verify_raw_manifest": False,
              "study_file": "",
              **({"plan_file": str(plan_path)} if plan_path else {}), **(parameters or {})}
    steps = variant_plan("--raw run", params, work)
    executed = run_plan(steps, jobs=DEFAULT_JOBS, needs=plan_needs(steps))  # 02-05 side by side
    for output in executed:
        _replace_banner(output, statement)
    if book:
        _book_files(work / "book", executed, raw, cb, statement, title or f"hpmob · {raw.name}")
        build_book(work / "book")


def _check_no_personal_data(frame: pd.DataFrame, cb: Codebook, folder: Path, what: str) -> None:
    leaks = find_personal_data(frame, cb, [folder])
    if leaks:
        raise RuntimeError(f"personal data reached {what} in {folder}: "
                           + "; ".join(f"{p} ({v})" for p, v in leaks[:5]))
    # "No answer" rows are cells like any other (hpmob.sample.sample_composition)
    small = find_small_counts(folder / "tables", MIN_CELL)
    if small:
        raise RuntimeError(f"a count under {MIN_CELL} reached {what} in {folder}: "
                           + "; ".join(f"{p.name} row {r} ({c} = {v})" for p, r, c, v in small[:5]))


#: Text files in which the temporary folder's path is replaced by the final one.
_TEXT = {".ipynb", ".html", ".md", ".txt", ".csv", ".json", ".js", ".yml", ".yaml"}


def _retarget_paths(work: Path, out: Path) -> None:
    """Name the final folder, not the temporary one, in the run's notebooks and pages."""
    old, new = str(work), str(out)
    for path in work.rglob("*"):
        if path.suffix in _TEXT and path.is_file():
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            if old in text:
                path.write_text(text.replace(old, new), encoding="utf-8", errors="surrogateescape")
