"""Figures for the book: saved at full resolution, glued for a numbered, captioned figure.

A notebook draws a figure (:mod:`hpmob.plots`) and hands it to :func:`glue_figure`,
which saves a full-resolution PNG beside the results and glues the figure under a
key. A Markdown cell then places it as a numbered figure with its caption, alt text,
label and a link to the full-resolution copy (``make book`` copies
``results/figures/*.png`` to ``book/notebooks/figures/``)::

    ```{glue:figure} fig_likert_SP
    :name: fig-likert-sp
    :alt: Diverging bars of the answers to the four supervisor-support items

    Answers to the supervisor-support items (SP). {download}`Full resolution <figures/fig_likert_SP.png>`
    ```

and the text refers to it with ``{numref}`fig-likert-sp```. :func:`figure_directive`
writes that block.
"""

from __future__ import annotations

from pathlib import Path

#: Resolution of the full-resolution copy (the page shows the notebook's inline image).
FULL_DPI = 200


def glue_figure(key: str, fig, *, folder: str | Path, dpi: int = FULL_DPI) -> Path:
    """Save ``fig`` as ``folder/key.png`` at ``dpi`` and glue it under ``key`` (not displayed in place).

    The figure is closed afterwards, so the notebook does not also show it uncaptioned
    at the end of the cell.

    Parameters
    ----------
    key : str
        The glue key and file name.
    fig : matplotlib.figure.Figure
        The figure.
    folder : path-like
        Where the PNG goes (created if missing).
    dpi : int
        Resolution.

    Returns
    -------
    pathlib.Path
        The full-resolution PNG.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> path = glue_figure("fig_example", fig, folder=tempfile.mkdtemp())
    >>> path.name, path.stat().st_size > 0, plt.fignum_exists(fig.number)
    ('fig_example.png', True, False)
    """
    import matplotlib.pyplot as plt
    from myst_nb import glue

    path = Path(folder) / f"{key}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    glue(key, fig, display=False)
    plt.close(fig)
    return path


def figure_directive(key: str, *, label: str, alt: str, caption: str, folder: str = "figures") -> str:
    """Return the MyST block that places a glued figure with caption, alt text, label and full-resolution link.

    Parameters
    ----------
    key : str
        The glue key of the figure (and its file name).
    label : str
        The figure's reference name.
    alt : str
        Alt text.
    caption : str
        The caption.
    folder : str
        Where the full-resolution PNG is served, relative to the page.

    Returns
    -------
    str
        The ``{glue:figure}`` block.

    Examples
    --------
    >>> print(figure_directive("fig_power", label="fig-power", alt="Power by sample size",
    ...                        caption="Power by respondents per group."))
    ```{glue:figure} fig_power
    :name: fig-power
    :alt: Power by sample size
    <BLANKLINE>
    Power by respondents per group. {download}`Full resolution <figures/fig_power.png>`
    ```
    """
    return (f"```{{glue:figure}} {key}\n:name: {label}\n:alt: {alt}\n\n"
            f"{caption} {{download}}`Full resolution <{folder}/{key}.png>`\n```")


def figure_gallery(key: str, figures: dict, *, folder: str | Path, alt: str, names: dict | None = None,
                   link_prefix: str = "../figures/", dpi: int = FULL_DPI) -> list[Path]:
    """Glue several figures as one (e.g. one Likert chart per construct) for a single ``{glue:figure}``.

    Each figure is saved as ``folder/<key>_<name>.png`` at ``dpi`` and shown as an image with
    the alt text ``alt.format(name=...)`` and a link to its full-resolution copy
    (``link_prefix`` + file name: the book serves ``results/figures`` at ``figures/``). The
    number of figures may differ between surveys; the caption stays one.

    Parameters
    ----------
    key : str
        The glue key of the gallery (and the prefix of its files).
    figures : dict
        Name to matplotlib figure, in display order.
    folder : path-like
        Where the PNGs are saved.
    alt : str
        Alt text of each image, with ``{name}`` for the figure's display name.
    names : dict, optional
        Display names of the figures (default their keys).
    link_prefix : str
        Prefix of the full-resolution links.
    dpi : int
        Resolution of the saved PNGs.

    Returns
    -------
    list of pathlib.Path
        The PNGs written, in display order.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> figs = {"SP": plt.subplots()[0], "WB": plt.subplots()[0]}
    >>> paths = figure_gallery("fig_likert", figs, folder=tempfile.mkdtemp(), alt="Answers to {name}")
    >>> [p.name for p in paths]
    ['fig_likert_SP.png', 'fig_likert_WB.png']
    """
    import base64
    import html

    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from myst_nb import glue

    names = dict(names or {})
    paths, parts = [], []
    for name, fig in figures.items():
        path = Path(folder) / f"{key}_{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
        from io import BytesIO

        screen = BytesIO()
        fig.savefig(screen, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        data = base64.b64encode(screen.getvalue()).decode("ascii")
        text = html.escape(alt.format(name=names.get(name, name)), quote=True)
        parts.append(f'<div class="hpmob-gallery-item"><img src="data:image/png;base64,{data}" alt="{text}">'
                     f'<p class="hpmob-fullres"><a href="{link_prefix}{path.name}">Full resolution</a></p></div>')
        paths.append(path)
    glue(key, HTML("".join(parts)), display=False)
    return paths
