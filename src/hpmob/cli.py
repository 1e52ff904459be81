"""The ``hpmob`` command line: ``hpmob --help`` lists the subcommands."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from hpmob import __version__


def _parse_value(text: str):
    # Parameters arrive as strings; YAML gives numbers, booleans and lists their types.
    import yaml

    return yaml.safe_load(text)


def _parameters(args: argparse.Namespace) -> dict:
    """The ``-p NAME VALUE`` pairs of a command, values typed by YAML."""
    return {name: _parse_value(value) for name, value in (args.parameter or [])}


def _cmd_run_notebook(args: argparse.Namespace) -> int:
    from hpmob.notebooks import run_notebook

    run_notebook(args.source, args.output, _parameters(args))  # a NotebookError is reported by main()
    print(f"executed {args.source} -> {args.output}")
    return 0


def _cmd_provenance(args: argparse.Namespace) -> int:
    from hpmob.provenance import write_reproducibility_page

    path = write_reproducibility_page(args.out)
    print(f"wrote {path}")
    return 0


def _cmd_codebook_page(args: argparse.Namespace) -> int:
    from hpmob.bookpages import codebook_markdown, write_page

    path = write_page(codebook_markdown(_load_codebook_arg(args.codebook)), args.out)
    print(f"wrote {path}")
    return 0


def _cmd_book_notebooks(args: argparse.Namespace) -> int:
    from hpmob.notebooks import book_notebook

    for source in args.notebooks:
        book_notebook(source, args.out / source.name)
    print(f"wrote {len(args.notebooks)} book copies to {args.out}")
    return 0


def _cmd_book_check(args: argparse.Namespace) -> int:
    from hpmob.browser import check_book

    problems = check_book(args.html, screenshots=args.screenshots)
    for problem in problems:
        print(problem)
    print(f"{args.html}: {len(problems)} problem(s)" + (f"; screenshots in {args.screenshots}" if args.screenshots else ""))
    return 1 if problems else 0


def _cmd_book_pdf(args: argparse.Namespace) -> int:
    import yaml

    from hpmob.browser import print_pdf

    footer = ""
    if args.config is not None:  # the footer every HTML page has (html.extra_footer), on every printed page
        config = yaml.safe_load(args.config.read_text(encoding="utf-8")) or {}
        footer = re.sub(r"<[^>]+>", "", str((config.get("html") or {}).get("extra_footer") or "")).strip()
    print(f"wrote {print_pdf(args.html, args.out, footer=footer)}")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from hpmob.simulate import load_population_model, simulate_export

    codebook = _load_codebook_arg(args.codebook)
    model = load_population_model(args.model) if args.model else None
    path = simulate_export(args.seed, args.n, args.out, codebook=codebook, model=model)
    print(f"wrote {path} ({args.n} submissions, seed {args.seed}, codebook {codebook.source}); synthetic data")
    return 0


def _load_codebook_arg(path):
    from hpmob.codebook import load_codebook

    return load_codebook(path) if path else load_codebook()


def _cmd_validate(args: argparse.Namespace) -> int:
    from hpmob.io import ReadLimits, read_export, validate_export

    cb = _load_codebook_arg(args.codebook)
    limits = ReadLimits(max_file_bytes=args.max_file_bytes, max_rows=args.max_rows,
                        max_cell_chars=args.max_cell_chars, max_decompressed_bytes=args.max_decompressed_bytes)
    frame = read_export(args.path, limits)
    problems = validate_export(frame, cb, source=str(args.path))
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{args.path}: {len(frame)} rows, {errors} error(s), {warnings} warning(s)"
          + ("" if errors else " — valid"))
    return 1 if errors else 0


def _cmd_manifest(args: argparse.Namespace) -> int:
    from hpmob.io import protect_raw_files, verify_manifest, write_manifest

    if args.write:
        print(f"wrote {write_manifest(args.raw_dir)}")
    else:
        table = verify_manifest(args.raw_dir)
        print(f"{args.raw_dir}: {len(table)} raw file(s) match MANIFEST.sha256")
    changed = protect_raw_files(args.raw_dir)
    if changed:
        print(f"made {len(changed)} raw file(s) read-only: {', '.join(p.name for p in changed)}")
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from hpmob.clean import CleaningRules, run_cleaning
    from hpmob.study.plan import load_plan
    from hpmob.study.steps import study_cleaning_rules

    codebook = _load_codebook_arg(args.codebook)
    # the study's cleaning, as notebook 01 applies it: the plan's breakdowns merged and its
    # required grouping value (the plan alone would leave small breakdown cells unmerged)
    rules = study_cleaning_rules(CleaningRules(), codebook, load_plan(args.plan, codebook=codebook))
    result = run_cleaning(args.raw, args.out, codebook, rules)
    print(result.flow.to_string(index=False))
    print(f"wrote {args.out}/responses.csv and {args.out}/exclusions.csv")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    # A failing notebook raises NotebookError (a RuntimeError), which main() reports.
    params = _parameters(args)
    if args.raw is not None:
        from hpmob.own_export import run_own_export

        if args.codebook is None or args.out is None:
            args.usage_error("--raw needs --codebook (that survey's codebook) and --out (a new folder)")
        out = run_own_export(args.raw, args.codebook, args.out, plan=args.plan, parameters=params,
                             data_statement=args.data_statement, book=not args.no_book)
        print(f"{args.raw}: claims table {out / 'tables' / 'claims.csv'}"
              + ("" if args.no_book else f", book {out / 'book' / '_build' / 'html' / 'index.html'}"))
        return 0
    if params:
        args.usage_error("-p applies to --raw runs; a variant's parameters live in variants.yaml")
    if args.check:
        from hpmob.variants import check_variant

        n_files, differences = check_variant(args.variant, variants_file=args.variants, out_root=args.out)
        for line in differences:
            print(line)
        print(f"variant {args.variant}: rerun {'reproduced' if not differences else 'did NOT reproduce'} "
              f"{n_files} files byte for byte" + (f" ({len(differences)} differ)" if differences else ""))
        return 1 if differences else 0
    from hpmob.variants import run_variant

    if args.in_process:
        from hpmob.variants import run_variant_in_process

        out = run_variant_in_process(args.variant, variants_file=args.variants, out_root=args.out)
        print(f"variant {args.variant} (in process, study layer): processed data and tables in {out}")
        return 0
    out = run_variant(args.variant, variants_file=args.variants, out_root=args.out)
    print(f"variant {args.variant}: notebooks, processed data, tables and figures in {out}")
    return 0


def _cmd_power(args: argparse.Namespace) -> int:
    import pandas as pd

    from hpmob.power import power_curve, required_n

    def progress(k, n_sizes, n):
        print(f"[{k + 1}/{n_sizes}] {n} respondents per group, {args.reps} simulated studies …", file=sys.stderr,
              flush=True)

    curve = power_curve(args.n, n_rep=args.reps, seed=args.seed, n_jobs=args.jobs, progress=progress,
                        backend=args.backend, scheduler=args.scheduler)
    print(curve.to_string(index=False))
    needed = required_n(curve, args.target)
    needed["n_per_level"] = [f"no size reaches the target (largest tried: {max(args.n)})" if pd.isna(v) else str(int(v))
                             for v in needed["n_per_level"]]
    print(needed.to_string(index=False))
    if args.out:
        curve.to_csv(args.out, index=False, float_format="%.6g")
        print(f"wrote {args.out}")
    return 0


def _cmd_multiverse(args: argparse.Namespace) -> int:
    import pandas as pd

    from hpmob.robustness import build_multiverse

    def progress(claim):
        print(f"joint test of {claim}: {args.n_null} null draws …", file=sys.stderr, flush=True)

    written = build_multiverse(args.out, named_only=args.named, joint_tests=args.joint_tests, n_null=args.n_null,
                               seed=args.seed, n_jobs=args.jobs, backend=args.backend, scheduler=args.scheduler,
                               variants_file=args.variants, progress=progress)
    grid = pd.read_csv(written["grid"]).iloc[0]
    print(f"{grid['grid']}: {int(grid['n_specifications'])} specifications in {grid['seconds']:.1f} s "
          f"({grid['seconds_per_specification']:.2f} s each); tables in {args.out}")
    return 0


def _add_backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky",
                        help="where the independent tasks run: local processes (loky) or a "
                             "dask.distributed cluster (dask); results are identical either way")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="with --backend dask: the scheduler's address, e.g. tcp://127.0.0.1:8786")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default (none shown for flags and required values)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.required or action.default in (None, False, argparse.SUPPRESS) or action.nargs == 0:
            return text
        default = " ".join(map(str, action.default)) if isinstance(action.default, list) else action.default
        return f"{text} (default: {default})"


def _add_limit_options(parser: argparse.ArgumentParser) -> None:
    from hpmob.io import ReadLimits

    limits = ReadLimits()
    parser.add_argument("--max-file-bytes", type=int, default=limits.max_file_bytes, metavar="N",
                        help="refuse an export larger than N bytes on disk")
    parser.add_argument("--max-rows", type=int, default=limits.max_rows, metavar="N",
                        help="refuse an export with more than N respondent rows")
    parser.add_argument("--max-cell-chars", type=int, default=limits.max_cell_chars, metavar="N",
                        help="refuse a cell longer than N characters (Excel's own limit)")
    parser.add_argument("--max-decompressed-bytes", type=int, default=limits.max_decompressed_bytes, metavar="N",
                        help="refuse an .xlsx larger than N bytes once decompressed (zip bomb)")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``hpmob`` command.

    Returns
    -------
    argparse.ArgumentParser
        The parser, one subcommand per step (``run-notebook``, ``simulate``, ``run``, ...).

    Examples
    --------
    >>> from hpmob.cli import build_parser
    >>> args = build_parser().parse_args(["simulate", "--seed", "1", "--n", "30", "--out", "export.csv"])
    >>> args.command, args.seed, args.n
    ('simulate', 1, 30)
    """
    parser = argparse.ArgumentParser(
        prog="hpmob",
        description=(
            "Reproducible survey-study compendium: the study its codebook and analysis plan describe. "
            "Run 'make all' to rebuild everything; these subcommands are its steps."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hpmob {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, **kwargs):
        return sub.add_parser(name, formatter_class=_HelpFormatter, **kwargs)

    run = add("run-notebook", help="execute one notebook with papermill into another file")
    run.add_argument("source", type=Path, help="notebook committed without outputs")
    run.add_argument("output", type=Path, help="executed copy to write")
    run.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                     help="override a value of the parameters cell (repeatable); none: the notebook's defaults")
    run.set_defaults(func=_cmd_run_notebook)

    sim = add("simulate", help="write a synthetic raw export from the population model")
    sim.add_argument("--seed", type=int, required=True, help="random seed (same seed, same bytes)")
    sim.add_argument("--n", type=int, required=True, help="number of submissions, duplicates included")
    sim.add_argument("--out", type=Path, required=True, help="CSV file to write")
    sim.add_argument("--codebook", type=Path, help="instrument to simulate (default: data/codebook.yaml); "
                                                   "a trimmed copy writes only its items")
    sim.add_argument("--model", type=Path, help="population model YAML (default: data/population_model.yaml)")
    sim.set_defaults(func=_cmd_simulate)

    val = add("validate", help="check a raw export against the codebook; exit 1 on errors")
    val.add_argument("path", type=Path, help="export (.csv, .xlsx or .sav)")
    val.add_argument("--codebook", type=Path, help="codebook YAML (default: data/codebook.yaml)")
    _add_limit_options(val)
    val.set_defaults(func=_cmd_validate)

    man = add("manifest", help="verify (or --write) data/raw/MANIFEST.sha256; makes the raw files read-only")
    man.add_argument("--raw-dir", type=Path, default=Path("data/raw"), help="folder of the raw exports")
    man.add_argument("--write", action="store_true", help="record the current raw files' SHA-256 "
                                                          "(default: verify them)")
    man.set_defaults(func=_cmd_manifest)

    cln = add("clean", help="validate and clean a raw export into data/processed")
    cln.add_argument("raw", type=Path, help="raw export")
    cln.add_argument("--out", type=Path, default=Path("data/processed"), help="folder for responses.csv and "
                                                                               "exclusions.csv")
    cln.add_argument("--codebook", type=Path, help="codebook YAML (default: data/codebook.yaml)")
    cln.add_argument("--plan", type=Path, help="analysis plan YAML whose grouping says what to do with respondents "
                                               "without a group (default: data/analysis_plan.yaml)")
    cln.set_defaults(func=_cmd_clean)

    runv = add(
        "run", help="rerun every notebook under a named variant, or on another export with its codebook",
        description="Either --variant NAME (a robustness variant of variants.yaml, into build/variants/NAME) "
                    "or --raw EXPORT --codebook CODEBOOK [--plan PLAN] --out DIR (validate, clean and analyse "
                    "another export, and build a book for it in DIR). A --raw run writes into .DIR.partial and "
                    "moves to DIR only when finished; of an earlier run's DIR it replaces only that run's "
                    "files. Ctrl-C stops it (exit 130) and keeps nothing.")
    which = runv.add_mutually_exclusive_group(required=True)
    which.add_argument("--variant", help="a name from variants.yaml")
    which.add_argument("--raw", type=Path, help="another survey export (.csv, .xlsx or .sav); only read")
    runv.add_argument("--codebook", type=Path, help="with --raw: that survey's codebook YAML (required)")
    runv.add_argument("--plan", type=Path, help="with --raw: that study's analysis plan YAML (default: "
                                                "data/analysis_plan.yaml)")
    runv.add_argument("--out", type=Path, help="with --raw: folder for the run (required; new, empty or an earlier "
                                               "run's, never inside data/raw); with --variant: root folder "
                                               "(default build/variants)")
    runv.add_argument("--variants", type=Path, help="variants file (default: variants.yaml)")
    runv.add_argument("--data-statement", help="with --raw: what the book says about the data (e.g. whether "
                                               "they are synthetic); default names the file and its SHA-256")
    runv.add_argument("--check", action="store_true", help="with --variant: rerun a built variant in place and "
                                                            "compare every file byte for byte (exit 1 if any differs)")
    runv.add_argument("--no-book", action="store_true", help="with --raw: stop after the notebooks "
                                                              "(default: build the book)")
    runv.add_argument("--in-process", action="store_true",
                      help="with --variant: compute the variant's tables with the study layer in this process "
                           "(no notebook kernels, no executed notebooks or figures) into build/variants-inprocess")
    runv.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                      help="with --raw: notebook parameter override, e.g. -p n_boot 500 (repeatable); "
                           "none: the notebooks' defaults")
    runv.set_defaults(func=_cmd_run)

    pwr = add("power", help="Monte Carlo power of the plan's power hypotheses by respondents per group")
    pwr.add_argument("--n", type=int, nargs="+", default=[40, 80, 120, 160], help="respondents per group")
    pwr.add_argument("--reps", type=int, default=200, help="simulated studies per size")
    pwr.add_argument("--seed", type=int, required=True, help="root random seed (same seed, same curve)")
    pwr.add_argument("--jobs", type=int, default=2, help="parallel workers (the curve does not depend on it)")
    pwr.add_argument("--target", type=float, default=0.80, help="power a size must reach")
    pwr.add_argument("--out", type=Path, help="CSV for the power curve (default: printed only)")
    _add_backend_options(pwr)
    pwr.set_defaults(func=_cmd_power)

    mv = add("multiverse", help="the study under every specification of the grid in variants.yaml")
    mv.add_argument("--out", type=Path, default=Path("build/multiverse/full"), help="folder for the grid's tables")
    mv.add_argument("--named", action="store_true", help="only the grid points that are named variants "
                                                         "(default: the full grid)")
    mv.add_argument("--joint-tests", action="store_true", help="also the joint test of every path claim under "
                                                               "the null (Simonsohn et al. 2020; slow)")
    mv.add_argument("--n-null", type=int, default=100, help="null bootstrap draws of each joint test")
    mv.add_argument("--seed", type=int, default=20250902, help="root seed (each specification's from its id)")
    mv.add_argument("--jobs", type=int, default=2, help="local worker processes (results do not depend on it)")
    mv.add_argument("--variants", type=Path, help="variants file with a grid: section (default: variants.yaml)")
    _add_backend_options(mv)
    mv.set_defaults(func=_cmd_multiverse)

    prov = add("provenance", help="write the book's reproducibility appendix")
    prov.add_argument("--out", type=Path, default=Path("book/reproducibility.md"), help="Markdown page to write")
    prov.set_defaults(func=_cmd_provenance)

    cbp = add("codebook-page", help="write the book's codebook appendix from the codebook")
    cbp.add_argument("--out", type=Path, default=Path("book/codebook.md"), help="Markdown page to write")
    cbp.add_argument("--codebook", type=Path, help="codebook YAML (default: data/codebook.yaml)")
    cbp.set_defaults(func=_cmd_codebook_page)

    bnb = add("book-notebooks", help="copy executed notebooks for the book: no code, no stderr, "
                                     "no parameters cell, no local paths")
    bnb.add_argument("notebooks", type=Path, nargs="+", help="executed notebooks (build/notebooks/*.ipynb)")
    bnb.add_argument("--out", type=Path, default=Path("book/notebooks"), help="folder for the book's copies")
    bnb.set_defaults(func=_cmd_book_notebooks)

    bch = add("book-check", help="open every page of the built book in Chromium; exit 1 on overflow, "
                                 "uncaptioned figures, visible code, warnings, NaN, local paths, broken links")
    bch.add_argument("html", type=Path, nargs="?", default=Path("book/_build/html"), help="the HTML build")
    bch.add_argument("--screenshots", type=Path, default=Path("build/screenshots"),
                     help="folder for one full-page screenshot per page")
    bch.set_defaults(func=_cmd_book_check)

    bpdf = add("book-pdf", help="print an HTML page (the single-page book) to PDF with Chromium")
    bpdf.add_argument("html", type=Path, help="page to print (book/_build/singlehtml/index.html)")
    bpdf.add_argument("out", type=Path, help="PDF to write")
    bpdf.add_argument("--config", type=Path, default=None,
                      help="the book's _config.yml: its html.extra_footer is printed at the foot of every page")
    bpdf.set_defaults(func=_cmd_book_pdf)
    parser.subcommands = sub.choices  # for main(): each subcommand's usage
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hpmob`` console script.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 1 for a data or run problem (reported in lines, not
        as a traceback).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.cli import main
    >>> out = Path(tempfile.mkdtemp()) / "export.csv"
    >>> main(["simulate", "--seed", "1", "--n", "30", "--out", str(out)])  # doctest: +ELLIPSIS
    wrote ...export.csv (30 submissions, seed 1, codebook ...codebook.yaml); synthetic data
    0
    >>> out.is_file()
    True
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    command = parser.subcommands[args.command]
    args.usage_error = command.error  # prints the subcommand's usage and exits 2
    from hpmob.codebook import CodebookError
    from hpmob.io import ExportError

    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"hpmob {args.command}: interrupted; nothing of this run was kept", file=sys.stderr, flush=True)
        sys.stdout.flush()
        # At once: a notebook may still be running in its worker thread, and interpreter
        # shutdown would wait for it or print its teardown errors after this line.
        os._exit(130)
    except ExportError as err:
        # Data problems are reported as lines, never as a traceback.
        for problem in err.problems:
            print(problem, file=sys.stderr)
        if args.command == "run":  # say that the run stopped before it began
            print(f"hpmob run: {len(err.problems)} problem(s) above, each naming file, row, column and value; "
                  "nothing was run or written. Fix the export (or the codebook) and rerun.", file=sys.stderr)
        return 1
    except RuntimeError as err:  # incl. hpmob.notebooks.NotebookError: notebook, cell and error in one message
        print(f"hpmob {args.command}: {err}", file=sys.stderr)
        return 1
    except (CodebookError, FileNotFoundError, ValueError, OSError) as err:
        print(command.format_usage().rstrip(), file=sys.stderr)
        print(f"hpmob {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
