"""The ``hpmob`` command line: ``hpmob --help`` lists the subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hpmob import __version__


def _parse_value(text: str):
    # Parameters arrive as strings; YAML gives numbers, booleans and lists their types.
    import yaml

    return yaml.safe_load(text)


def _cmd_run_notebook(args: argparse.Namespace) -> int:
    from hpmob.notebooks import NotebookError, run_notebook

    params = {name: _parse_value(value) for name, value in (args.parameter or [])}
    try:
        run_notebook(args.source, args.output, params)
    except NotebookError as err:
        print(f"hpmob: {err}", file=sys.stderr)
        return 1
    print(f"executed {args.source} -> {args.output}")
    return 0


def _cmd_provenance(args: argparse.Namespace) -> int:
    from hpmob.provenance import write_reproducibility_page

    path = write_reproducibility_page(args.out)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``hpmob`` command."""
    parser = argparse.ArgumentParser(
        prog="hpmob",
        description=(
            "Reproducible compendium of the Hai Phong mass-mobilization (dân vận) survey. "
            "Run 'make all' to rebuild everything; these subcommands are its steps."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hpmob {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run-notebook", help="execute one notebook with papermill into another file")
    run.add_argument("source", type=Path, help="notebook committed without outputs")
    run.add_argument("output", type=Path, help="executed copy to write")
    run.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                     help="override a value of the parameters cell (repeatable)")
    run.set_defaults(func=_cmd_run_notebook)

    prov = sub.add_parser("provenance", help="write the book's reproducibility appendix")
    prov.add_argument("--out", type=Path, default=Path("book/reproducibility.md"))
    prov.set_defaults(func=_cmd_provenance)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hpmob`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
