"""Execute the numbered notebooks with papermill, into a build folder, never in place.

Papermill copies a notebook, injects parameters after the cell tagged ``parameters``
and runs it. Here a failure is turned into one readable message naming the notebook,
the cell and the error, because the build log is what an analyst sees first.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from hpmob.paths import OUTPUT_ENV, project_root

#: Thread-count variables of the BLAS libraries numpy and scipy may use.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
NOTEBOOK_PATTERN = re.compile(r"^\d\d-[\w-]+\.ipynb$")
#: Extra kernel arguments: only errors from the kernel application's own log.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)


def _drop_unknown_parameter_warning(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Passed unknown parameter")


class NotebookError(RuntimeError):
    """A notebook failed to execute (or is not a runnable study notebook).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.notebooks import NotebookError, run_notebook
    >>> path = Path(tempfile.mkdtemp()) / "nb.ipynb"
    >>> try:
    ...     run_notebook(path, path)
    ... except NotebookError as err:
    ...     print(str(err).split(": ", 1)[1])
    refusing to execute a notebook in place; give another output path.
    """


def study_notebooks(folder: str | Path | None = None) -> list[Path]:
    """Return the study notebooks ``NN-name.ipynb`` of ``folder`` in execution order.

    Parameters
    ----------
    folder : path-like, optional
        The notebooks' folder (default ``notebooks/``).

    Returns
    -------
    list of pathlib.Path
        Sorted by name, so in execution order.

    Examples
    --------
    >>> from hpmob.notebooks import study_notebooks
    >>> [p.name[:2] for p in study_notebooks()][:3]
    ['00', '01', '02']
    """
    folder = Path(folder) if folder is not None else project_root() / "notebooks"
    return sorted(p for p in folder.iterdir() if NOTEBOOK_PATTERN.match(p.name))


def notebook_parameters(path: str | Path) -> dict:
    """Return the parameter names and default source lines of a notebook's ``parameters`` cell.

    Parameters
    ----------
    path : path-like
        The notebook.

    Returns
    -------
    dict
        Name to the source text of its default, in the cell's order.

    Raises
    ------
    NotebookError
        If the notebook has no code cell tagged ``parameters`` (papermill would then
        inject parameters at the top, silently overriding nothing).

    Examples
    --------
    >>> from hpmob.notebooks import notebook_parameters, study_notebooks
    >>> params = notebook_parameters(study_notebooks()[0])
    >>> isinstance(params, dict) and len(params) > 0
    True
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"])
            params = {}
            for line in source.splitlines():
                match = re.match(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(.+?)\s*(#.*)?$", line)
                if match:
                    params[match.group(1)] = match.group(2)
            return params
    raise NotebookError(
        f"{path}: no code cell tagged 'parameters'. Tag the cell that holds the defaults "
        "(View → Cell toolbar → Tags in Jupyter, or the property inspector in JupyterLab)."
    )


def run_notebook(
    source: str | Path,
    output: str | Path,
    parameters: dict | None = None,
    *,
    cwd: str | Path | None = None,
    kernel_name: str = "python3",
) -> Path:
    """Execute ``source`` with papermill into ``output``.

    Parameters
    ----------
    source : path-like
        Notebook committed without outputs, with a ``parameters`` cell.
    output : path-like
        Where the executed copy goes (folder created if missing). Must differ from ``source``.
    parameters : dict, optional
        Values that override the ``parameters`` cell; unknown names are rejected.
    cwd : path-like, optional
        Working directory of the kernel; defaults to the notebook's folder, as in JupyterLab.
    kernel_name : str
        Jupyter kernel to run; ``python3`` resolves to the interpreter running this code.

    Returns
    -------
    pathlib.Path
        The executed notebook.

    Notes
    -----
    Relative output folders of the notebook resolve under the project root
    (``$HPMOB_OUTPUT_ROOT`` is set to it unless already set), where an interactive run
    writes to ``build/scratch/``. The kernel runs with one BLAS thread unless ``OPENBLAS_NUM_THREADS`` (or the OpenMP or
    MKL variable) is already set, so results do not depend on the machine's core count;
    the executed copy is then passed through :func:`normalize_executed_notebook`.

    Raises
    ------
    NotebookError
        If the notebook fails, with notebook, cell number, error and the first lines
        of the failing cell; the partially executed copy is kept as
        ``<output stem>.failed.ipynb`` for inspection.

    Examples
    --------
    A two-cell notebook in a temporary folder, its parameter overridden (the kernel
    starts in about two seconds):

    >>> import os
    >>> import tempfile
    >>> from pathlib import Path
    >>> from unittest import mock
    >>> import nbformat
    >>> from hpmob.notebooks import run_notebook
    >>> folder = Path(tempfile.mkdtemp())
    >>> defaults = nbformat.v4.new_code_cell("n = 2", metadata={"tags": ["parameters"]})
    >>> nb = nbformat.v4.new_notebook(cells=[defaults, nbformat.v4.new_code_cell("print(n * 21)")])
    >>> nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    >>> nbformat.write(nb, folder / "tiny.ipynb")
    >>> with mock.patch.dict(os.environ):  # run_notebook sets the build's variables; keep them out of this session
    ...     out = run_notebook(folder / "tiny.ipynb", folder / "out.ipynb", {"n": 3})
    >>> nbformat.read(out, as_version=4).cells[-1].outputs[0]["text"]
    '63\\n'
    """
    import papermill as pm  # heavy import, only needed here

    source, output = Path(source), Path(output)
    if source.resolve() == output.resolve():
        raise NotebookError(f"{source}: refusing to execute a notebook in place; give another output path.")
    parameters = dict(parameters or {})
    declared = notebook_parameters(source)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise NotebookError(
            f"{source}: unknown parameter(s) {', '.join(unknown)}; the parameters cell declares "
            f"{', '.join(declared) or 'none'}."
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    # MPLBACKEND must stay unset: the kernel then picks the inline backend, so figures
    # are stored in the executed notebook (and the book), while scripts fall back to Agg.
    os.environ.pop("MPLBACKEND", None)
    # One BLAS thread in the kernel unless the caller set one: OpenBLAS's default follows
    # the machine's cores, and a different thread count sums in a different order, so the
    # last digits of estimates (and the pixels of figures) would depend on the machine.
    for var in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(var, "1")
    # A papermill run is a build, not an interactive rerun: relative output folders resolve
    # under the project root unless the caller chose another (hpmob.paths.output_root).
    os.environ.setdefault(OUTPUT_ENV, str(project_root()))
    # papermill re-parses the parameters cell only to warn about names it cannot read
    # (lines whose comments hold quotes) and then calls them unknown; the names were
    # checked above, so both warnings are noise in the build log.
    logging.getLogger("papermill.translators").setLevel(logging.ERROR)
    logging.getLogger("papermill").addFilter(_drop_unknown_parameter_warning)
    try:
        _interruptible(lambda: pm.execute_notebook(
            str(source), str(output), parameters=parameters, kernel_name=kernel_name,
            cwd=str(cwd if cwd is not None else source.parent), progress_bar=False,
            request_save_on_cell_execute=False,
            # The kernel logs "running over TCP without encryption" at start-up on its
            # stderr, i.e. amid our messages; it talks only to this process on localhost.
            # Errors in cells still reach the notebook (outputs), not the kernel's log.
            extra_arguments=list(KERNEL_ARGUMENTS),
        ))
    except pm.PapermillExecutionError as err:
        # Keep the failed run beside the target so make (.DELETE_ON_ERROR) does not
        # take it for a finished notebook, yet the analyst can open it.
        failed = output.with_name(output.stem + ".failed.ipynb")
        if output.exists():
            output.replace(failed)
        cell_source = "\n".join("    " + line for line in (err.source or "").splitlines()[:8])
        raise NotebookError(
            f"{source} failed in cell {err.cell_index} (execution count {err.exec_count}): "
            f"{err.ename}: {err.evalue}\n  cell source:\n{cell_source}\n"
            f"  the partially executed copy is {failed}"
        ) from None
    normalize_executed_notebook(output)
    return output


def _interruptible(call):
    """Run ``call`` in a worker thread so that Ctrl-C reaches this thread as KeyboardInterrupt.

    In the main thread, nbclient catches SIGINT itself, kills the kernel and fails in one of
    several ways (a dead-kernel error, a task traceback, sometimes death by the signal).
    Outside the main thread it installs no handler, so the interrupt arrives here, once.
    The kernel runs in its own session and exits when this process does (ipykernel
    watches its parent), so nothing is left running.
    """
    import threading

    outcome: dict = {}

    def target():
        try:
            outcome["value"] = call()
        except BaseException as err:  # handed to the caller's thread below
            outcome["error"] = err

    worker = threading.Thread(target=target, name="papermill", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)  # a short timeout keeps the wait interruptible
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


#: Metadata keys papermill and nbclient fill with wall-clock times.
_VOLATILE_KEYS = ("start_time", "end_time", "duration")


def normalize_executed_notebook(path: str | Path) -> Path:
    """Remove what makes two executions of the same notebook differ, apart from results.

    An executed notebook then depends only on its inputs, so a rerun with the same
    parameters gives the same bytes (variants are checked that way: ``hpmob run
    --variant NAME --check``). Three things are rewritten:

    * the wall-clock times papermill and nbclient record (notebook and cell
      ``start_time``/``end_time``/``duration``, per-cell ``execution`` timestamps);
    * the random id papermill gives the cell it injects (now ``injected-parameters``);
    * the random five-character id pandas' Styler puts in its HTML tables (``T_1a2b3``):
      there is no pandas option to fix it, so each is renamed ``T_c<cell>_<k>``, in the
      CSS and the table alike, which keeps the ids unique on a page; and the memory
      address in plain-text reprs (``<Styler at 0x7f…>``).

    Parameters
    ----------
    path : path-like
        An executed notebook.

    Returns
    -------
    pathlib.Path
        ``path``, rewritten in place.

    Examples
    --------
    >>> import json
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> from hpmob.notebooks import normalize_executed_notebook
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    >>> nb.metadata["papermill"] = {"start_time": "2025-01-01T10:00:00", "duration": 3.2}
    >>> path = Path(tempfile.mkdtemp()) / "run.ipynb"
    >>> nbformat.write(nb, path)
    >>> json.loads(normalize_executed_notebook(path).read_text(encoding="utf-8"))["metadata"]["papermill"]
    {}
    """
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    for key in _VOLATILE_KEYS:
        nb.get("metadata", {}).get("papermill", {}).pop(key, None)
    for index, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        for key in _VOLATILE_KEYS:
            meta.get("papermill", {}).pop(key, None)
        if "injected-parameters" in meta.get("tags", []):
            cell["id"] = "injected-parameters"
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                names: dict[str, int] = {}  # Styler id -> its number in this cell
                # the lambdas run here, inside this iteration, so they see this cell's index and names
                data["text/html"] = _edit_text(data["text/html"], lambda text: _STYLER_ID.sub(  # noqa: B023
                    lambda m: f"T_c{index}_{names.setdefault(m.group(1), len(names))}", text))  # noqa: B023
            if "text/plain" in data:  # "<... Styler at 0x7f66...>": an address, not a result
                data["text/plain"] = _edit_text(data["text/plain"], lambda text: _ADDRESS.sub(">", text))
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"' ])")


def _edit_text(value: str | list, edit) -> str | list:
    """Apply ``edit`` to a notebook text field, kept as it was stored (one string or a list of lines)."""
    if isinstance(value, list):
        return edit("".join(value)).splitlines(keepends=True)
    return edit(value)


#: Cell tags that keep a code cell's source visible in the book (a deliberate listing).
LISTING_TAGS = frozenset({"listing", "show-input"})
#: myst-nb tags that already say how a cell is shown; the book step leaves those cells alone.
_DISPLAY_TAGS = frozenset({"remove-cell", "remove-input", "hide-input", "hide-cell", "remove_cell", "remove_input"})


def book_notebook(source: str | Path, output: str | Path, *, root: str | Path | None = None) -> Path:
    """Write the copy of an executed notebook that the book renders: a page without code.

    The executed notebook in ``build/notebooks/`` stays as papermill wrote it (the
    analyst's record); the book gets a copy in which

    * papermill's injected-parameters cell is dropped (its values are already in the
      outputs, and the book states the parameters in prose where they matter);
    * the ``parameters`` cell is collapsed behind a toggle (``hide-input``), for a reader
      who wants the settings;
    * every other code cell loses its source (``remove-input``) unless it is tagged
      ``listing`` (or ``show-input``), and a code cell with nothing left to show is removed;
    * stderr streams (warnings, progress bars) are removed: they belong in the build log, and
      so are plain-text reprs a cell returns (``[PosixPath(...)]``): results are shown as
      tables, figures or text;
    * the project's absolute path is removed from text outputs, so no page names the
      machine it was built on;
    * an output glued *and* shown (a table the analyst sees where the cell runs,
      :func:`hpmob.tables.glue_table`) is kept as glue only: the page shows it where its
      directive places it (a numbered ``{numtable}``), not a second time under the cell.

    Parameters
    ----------
    source : path-like
        Executed notebook.
    output : path-like
        Copy to write (folder created if missing); may equal ``source``.
    root : path-like, optional
        Absolute path to strip from outputs; defaults to the project root.

    Returns
    -------
    pathlib.Path
        ``output``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    ...     {"cell_type": "code", "id": "a", "metadata": {"tags": ["injected-parameters"]},
    ...      "source": "n = 1", "outputs": [], "execution_count": 1},
    ...     {"cell_type": "code", "id": "b", "metadata": {}, "source": "print(2)", "execution_count": 2,
    ...      "outputs": [{"output_type": "stream", "name": "stdout", "text": "2"},
    ...                  {"output_type": "stream", "name": "stderr", "text": "UserWarning: x"}]}]}
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "in.ipynb").write_text(json.dumps(nb))
    >>> out = json.loads(book_notebook(folder / "in.ipynb", folder / "out.ipynb").read_text())
    >>> [(c["id"], c["metadata"]["tags"], [o["name"] for o in c["outputs"]]) for c in out["cells"]]
    [('b', ['remove-input'], ['stdout'])]
    """
    source, output = Path(source), Path(output)
    prefix = str(Path(root).resolve() if root is not None else project_root()) + "/"
    nb = json.loads(source.read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code":
            cells.append(cell)
            continue
        if "injected-parameters" in tags:
            continue
        cell["outputs"] = [_place_glued(_strip_path(o, prefix)) for o in cell.get("outputs", [])
                           if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                           # a bare repr of a returned object ([PosixPath(...)], None): not a result
                           and not (o.get("output_type") == "execute_result" and set(o.get("data", {})) <= {"text/plain"})]
        if LISTING_TAGS & set(tags) or _DISPLAY_TAGS & set(tags):
            pass
        elif "parameters" in tags:
            tags.append("hide-input")
        elif cell["outputs"]:
            tags.append("remove-input")
        else:
            tags.append("remove-cell")
        cell.setdefault("metadata", {})["tags"] = tags
        cells.append(cell)
    nb["cells"] = cells
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return output


#: The mime prefix with which myst-nb's ``glue(..., display=False)`` hides a glued output.
GLUE_PREFIX = "application/papermill.record/"


def _place_glued(output: dict) -> dict:
    """A glued output that was also displayed, as if glued with ``display=False``.

    Examples
    --------
    >>> out = {"output_type": "display_data", "data": {"text/html": "<table/>"},
    ...        "metadata": {"scrapbook": {"name": "tbl_x", "mime_prefix": ""}}}
    >>> _place_glued(out)["data"], out["metadata"]["scrapbook"]["mime_prefix"]
    ({'application/papermill.record/text/html': '<table/>'}, 'application/papermill.record/')
    """
    book = output.get("metadata", {}).get("scrapbook")
    if book is not None and not book.get("mime_prefix"):
        output["data"] = {GLUE_PREFIX + k: v for k, v in output.get("data", {}).items()}
        book["mime_prefix"] = GLUE_PREFIX
    return output


def _strip_path(output: dict, prefix: str) -> dict:
    """Remove ``prefix`` (the project's absolute path) from the text fields of one output."""
    def edit(text: str) -> str:
        return text.replace(prefix, "").replace(prefix.rstrip("/"), ".")

    if "text" in output:
        output["text"] = _edit_text(output["text"], edit)
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime == "application/javascript":
            output["data"][mime] = _edit_text(value, edit)
    return output


def run_plan(plan: list[tuple], *, label: str = "", stream=None, jobs: int = 1,
             needs: dict[int, set[int]] | None = None) -> list[Path]:
    """Run the ``(source, output, parameters)`` steps of a plan, one progress line per notebook.

    Long runs (six notebooks, minutes each) otherwise print nothing until the end. Lines
    go to ``stream`` (default standard error), e.g. ``[2/6] 02-descriptives.ipynb … 14 s``.

    Parameters
    ----------
    plan : list of tuple
        ``(source, output, parameters)`` per notebook, in the order of the progress lines.
    label : str
        Prefix of every progress line (e.g. the variant's name).
    stream : file-like, optional
        Where progress goes; default standard error.
    jobs : int
        Notebooks run at once. With ``jobs > 1`` and ``needs``, a step starts as soon as
        the steps it needs are done (a kernel each, as ``make -j``), and its progress line
        is printed when it ends.
    needs : dict of int to set of int, optional
        Step index -> indices of the steps it reads from. Required for ``jobs > 1``: without
        it every step needs all steps before it, and the plan runs one notebook at a time.

    Returns
    -------
    list of pathlib.Path
        The executed notebooks, in plan order.

    Raises
    ------
    NotebookError
        The first failing notebook's error, once the steps already running have ended; no
        later step starts.

    Examples
    --------
    >>> import io
    >>> run_plan([], stream=io.StringIO())
    []
    """
    import sys
    import time

    stream = stream if stream is not None else sys.stderr
    if jobs > 1 and needs is not None and len(plan) > 1:
        return _run_plan_parallel(plan, label, stream, jobs, needs)
    done = []
    for k, (source, output, params) in enumerate(plan, start=1):
        start = time.perf_counter()
        print(f"{label}[{k}/{len(plan)}] {Path(source).name} …", end="", file=stream, flush=True)
        try:
            run_notebook(source, output, params)
        except KeyboardInterrupt:
            print(" stopped", file=stream, flush=True)
            raise
        except BaseException:
            print(" failed", file=stream, flush=True)
            raise
        print(f" {time.perf_counter() - start:.0f} s", file=stream, flush=True)
        done.append(Path(output))
    return done


def _run_plan_parallel(plan: list[tuple], label: str, stream, jobs: int, needs: dict[int, set[int]]) -> list[Path]:
    # Threads, not processes: papermill already runs in a worker thread of its own
    # (_interruptible) and the work happens in the kernels, so a thread per running step only
    # waits. Daemon threads and kernels that watch their parent end with this process, so
    # Ctrl-C (KeyboardInterrupt in this, the calling thread) leaves nothing running.
    import queue
    import threading
    import time

    finished: queue.Queue = queue.Queue()
    started: dict[int, float] = {}
    done: set[int] = set()
    n = len(plan)

    def work(k: int) -> None:
        source, output, params = plan[k]
        try:
            run_notebook(source, output, params)
            finished.put((k, None))
        except BaseException as err:  # handed to the calling thread
            finished.put((k, err))

    def line(k: int, end: str) -> None:
        print(f"{label}[{k + 1}/{n}] {Path(plan[k][0]).name} … {end}", file=stream, flush=True)

    try:
        while len(done) < n:
            for k in range(n):
                ready = k not in started and needs.get(k, set(range(k))) <= done
                if ready and len(started) - len(done) < jobs:
                    started[k] = time.perf_counter()
                    threading.Thread(target=work, args=(k,), name=f"notebook-{k + 1}", daemon=True).start()
            try:
                k, err = finished.get(timeout=0.2)  # a short timeout keeps the wait interruptible
            except queue.Empty:
                continue
            if err is not None:
                line(k, "failed")
                # as make does: start nothing more, let the running notebooks end, then report
                for _ in range(len(started) - len(done) - 1):
                    other, other_err = finished.get()
                    line(other, "failed" if other_err is not None else f"{time.perf_counter() - started[other]:.0f} s")
                    done.add(other)
                raise err
            line(k, f"{time.perf_counter() - started[k]:.0f} s")
            done.add(k)
    except KeyboardInterrupt:
        for k in sorted(set(started) - done):
            line(k, "stopped")
        raise
    return [Path(output) for _, output, _ in plan]
