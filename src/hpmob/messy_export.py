"""The second stage of the simulation: a clean sample made into what a survey platform exports.

:func:`make_raw_export` adds what real exports carry (Vietnamese text labels with case,
spacing, Unicode (NFD) and spelling variants, "no answer" codes, blank cells,
straight-liners, speeders, duplicate submissions, impossible values and personal-data
columns); :func:`write_export` writes it as the platform would and :func:`simulate_export`
runs both stages; same seed, same bytes. :mod:`hpmob.simulate` re-exports every public
name, which is where to import them from.

Examples
--------
>>> from hpmob.messy_export import make_raw_export
>>> from hpmob.simulate import simulate_sample
>>> raw = make_raw_export(simulate_sample(n=50, seed=1), seed=1)
>>> len(raw) >= 50
True
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from hpmob.codebook import Codebook, load_codebook
from hpmob.population_sample import SimulatedSample, load_population_model, model_levels, simulate_sample

__all__ = ["make_raw_export", "simulate_export", "write_export"]


_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
_MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh"]
_MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Minh"]
_GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Nam", "Hải", "Long", "Quân", "Thắng", "Sơn", "Việt", "Bình", "Cường"]
_GIVEN_F = ["Lan", "Hương", "Hà", "Mai", "Hạnh", "Thảo", "Trang", "Linh", "Ngọc", "Phương", "Yến", "Huyền"]


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _personal_columns(rng, attributes: pd.DataFrame, levels: tuple, units: dict | None) -> pd.DataFrame:
    """Invented names, phones, e-mails and unit names; `units` is the model's ``unit_names``
    (the places of the survey's own setting), without it units are numbered."""
    n = len(attributes)
    male = (attributes["gender"] == "male").to_numpy()
    names, phones, emails, unit_names = [], [], [], []
    for i in range(n):
        fam = _FAMILY[rng.integers(len(_FAMILY))]
        mid = (_MIDDLE_M if male[i] else _MIDDLE_F)[rng.integers(5)]
        giv = (_GIVEN_M if male[i] else _GIVEN_F)[rng.integers(12)]
        names.append(f"{fam} {mid} {giv}")
        phones.append("0" + str(rng.choice([90, 91, 93, 96, 97, 98, 32, 33, 35, 86, 88]))
                      + f"{rng.integers(0, 10**7):07d}")
        # example.vn: reserved-style placeholder domain, no real mailbox
        emails.append(f"{_strip_diacritics(giv).lower()}.{_strip_diacritics(fam).lower()}"
                      f"{rng.integers(10, 99)}@example.vn")
        level = attributes["level"].iat[i]
        if units is None:  # a model without place names: a numbered unit of the stratum
            unit_names.append(f"{level} unit {rng.integers(1, 100)}")
            continue
        area = attributes["area"].iat[i]
        places = units["places"][area]
        place = places[rng.integers(len(places))]
        # the unit's name follows the stratum: the model's first (top) level, its second, the rest
        if level == levels[0]:
            unit_names.append(units["top"][rng.integers(len(units["top"]))])
        elif level == levels[1]:
            offices = units["middle"]["offices"]
            unit_names.append(f"{offices[rng.integers(len(offices))]} {units['middle']['kind'][area]} {place}")
        else:
            local = units["local"]
            name = local["names"][rng.integers(len(local["names"]))]
            unit_names.append(f"{local['unit']} {local['prefix'][area]} {name}, {place}")
    return pd.DataFrame({"full_name": names, "phone": phones, "email": emails, "unit_name": unit_names})


def _label_variant(rng, label: str, aliases: list[str]) -> str:
    """One realistic way a platform or a respondent mangles a label."""
    kind = rng.integers(6)
    if kind == 0:
        return label.lower()
    if kind == 1:
        return label.upper()
    if kind == 2:
        return f" {label}  ".replace(" ", "  ", 1)
    if kind == 3:
        return unicodedata.normalize("NFD", label)
    if kind == 4 and aliases:
        return aliases[rng.integers(len(aliases))]
    return label + " "


def make_raw_export(sample: SimulatedSample, seed: int, *, n_duplicates: int | None = None,
                    model: dict | None = None, codebook: Codebook | None = None) -> pd.DataFrame:
    """Turn a clean sample into a raw survey-platform export with realistic defects.

    Parameters
    ----------
    sample : SimulatedSample
        Output of :func:`simulate_sample`; its rows are the distinct respondents.
    seed : int
        Seed for the defects (independent of the sample's seed).
    n_duplicates : int, optional
        Number of duplicate submissions to add; defaults to the model's
        ``defects.duplicate_rows`` share of the sample.
    model, codebook : optional
        Population model (its ``defects`` shares) and instrument (labels, aliases).

    Returns
    -------
    DataFrame
        One row per submission (duplicates included), columns in the codebook's
        ``expected_columns`` order, every value a string as it would be written to CSV
        (blank string = empty cell).

    Examples
    --------
    >>> from hpmob.simulate import make_raw_export, simulate_sample
    >>> raw = make_raw_export(simulate_sample(60, seed=1), seed=2, n_duplicates=3)
    >>> len(raw), raw.columns[0], bool(raw.map(lambda v: isinstance(v, str)).all().all())
    (63, 'respondent_id', True)
    """
    model = model or load_population_model()
    cb = codebook or load_codebook()
    rng = np.random.default_rng([seed, 1])
    d = model["defects"]
    attrs = sample.attributes.reset_index(drop=True)
    n = len(attrs)
    personal = _personal_columns(rng, attrs, model_levels(model), model.get("unit_names"))

    items = cb.item_columns
    answers = sample.answers.to_numpy().astype(object)  # ints, later labels
    agree_items = [j for j, c in enumerate(items) if cb.scale_of(c) == cb.scale_of(items[0])]

    # Respondent-level defects, on disjoint sets of rows so each has a clear cause.
    order = rng.permutation(n)
    counts = {k: int(round(d[k] * n)) for k in ("unit_nonresponse", "straight_liners", "speeders",
                                                 "impossible_values")}
    cut = np.cumsum([0, *counts.values()])
    groups = {k: order[cut[i]:cut[i + 1]] for i, k in enumerate(counts)}

    for r in groups["straight_liners"]:
        answers[r, agree_items] = int(rng.choice([3, 4, 5], p=[0.2, 0.5, 0.3]))
    blank = rng.random(answers.shape) < d["item_blank"]
    no_answer = (rng.random(answers.shape) < d["item_no_answer"]) & ~blank
    for r in groups["unit_nonresponse"]:
        keep = rng.integers(0, 3)  # abandoned after a couple of questions
        blank[r, keep:] = True
    missing_code = {c: cb.missing_codes(c)[0] for c in items}

    # Labels: Vietnamese text as exported, with variants for a share of cells.
    cells = np.empty(answers.shape, dtype=object)
    label_cache = {}
    for j, code in enumerate(items):
        scale = cb.scale_of(code)
        if scale not in label_cache:
            spec = cb.data["scales"][scale]
            label_cache[scale] = {c: (lab["vi"], lab.get("aliases", []))
                                  for c, lab in {**spec["codes"], **(spec.get("missing") or {})}.items()}
        labels = label_cache[scale]
        for r in range(n):
            if blank[r, j]:
                cells[r, j] = ""
                continue
            code_value = missing_code[code] if no_answer[r, j] else int(answers[r, j])
            text, aliases = labels[code_value]
            cells[r, j] = _label_variant(rng, text, aliases) if rng.random() < d["label_variants"] else text
    out = pd.DataFrame(cells, columns=items)

    # Attributes as the platform shows them: labels for categories, numbers as typed.
    attr_out = {}
    for code in cb.attribute_columns:
        kind = cb.column_kind(code)
        if kind == "categorical":
            spec = cb._attribute(code)
            col = []
            for v in attrs[code]:
                if rng.random() < d["attribute_missing"] and "missing" in spec:
                    col.append(spec["missing"]["vi"])
                    continue
                lab = spec["values"][v]
                col.append(_label_variant(rng, lab["vi"], lab.get("aliases", []))
                           if rng.random() < d["label_variants"] else lab["vi"])
            attr_out[code] = col
        else:
            attr_out[code] = [str(int(v)) for v in attrs[code]]
    attr_df = pd.DataFrame(attr_out)
    for k, r in enumerate(groups["impossible_values"]):
        if k % 3 == 0:
            attr_df.loc[r, "age"] = str(rng.choice([4, 5, 7, 14]))           # a digit lost
        elif k % 3 == 1:
            attr_df.loc[r, "years_in_post"] = str(int(attr_df.loc[r, "age"]) + int(rng.integers(1, 6)))
        else:
            attr_df.loc[r, "training_courses"] = str(rng.choice([25, 30, 40]))  # a 0 too many

    # Platform columns: submission time during the fieldwork, completion time.
    start = np.datetime64("2024-09-09T07:30:00")
    offsets = np.sort(rng.integers(0, 45 * 24 * 3600, n))
    duration = np.rint(np.exp(rng.normal(np.log(840), 0.35, n))).astype(int)
    duration[groups["speeders"]] = rng.integers(60, 171, len(groups["speeders"]))
    times = start + offsets.astype("timedelta64[s]")
    perm = rng.permutation(n)  # submission order is not sample order
    frame = pd.concat([personal, attr_df, out], axis=1).iloc[perm].reset_index(drop=True)
    frame.insert(0, "duration_sec", [str(x) for x in duration])
    frame.insert(0, "submitted_at", [str(t).replace("T", " ") for t in times])

    # Duplicate submissions: the same person submits again minutes later.
    n_dup = int(round(d["duplicate_rows"] * n)) if n_duplicates is None else int(n_duplicates)
    dup_src = np.sort(rng.choice(n, n_dup, replace=False))
    dups = frame.iloc[dup_src].copy()
    later = times[dup_src] + rng.integers(120, 3600, n_dup).astype("timedelta64[s]")
    dups["submitted_at"] = [str(t).replace("T", " ") for t in later]
    frame = pd.concat([frame, dups], ignore_index=True)
    frame = frame.sort_values("submitted_at", kind="stable").reset_index(drop=True)
    ids = np.sort(rng.choice(np.arange(100000, 999999), len(frame), replace=False))
    frame.insert(0, "respondent_id", [f"S{i}" for i in ids])
    return frame[cb.expected_columns]


def write_export(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a raw export as a survey platform would: CSV, UTF-8 with BOM, ``\\n`` line ends.

    Parameters
    ----------
    frame : DataFrame
        The export (text cells), as :func:`make_raw_export` returns it.
    path : path-like
        The CSV file (its folder is created if missing).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hpmob.simulate import make_raw_export, simulate_sample, write_export
    >>> path = write_export(make_raw_export(simulate_sample(20, seed=1), seed=1), Path(tempfile.mkdtemp()) / "e.csv")
    >>> path.read_bytes()[:3] == "\\ufeff".encode("utf-8")
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def simulate_export(seed: int, n: int, out: str | Path, *, model: dict | None = None,
                    codebook: Codebook | None = None) -> Path:
    """Simulate a raw export of ``n`` submissions and write it to ``out``.

    ``n`` counts submissions including duplicates, as a platform would report them.
    The same ``seed`` gives a byte-identical file (with the same package versions).

    Parameters
    ----------
    seed : int
        Seed of the sample and of its defects (the same seed for both).
    n : int
        Submissions, duplicates included.
    out : path-like
        The CSV file to write.
    model : dict, optional
        Population model; default :func:`load_population_model`.
    codebook : Codebook, optional
        Instrument; default the shipped codebook.

    Returns
    -------
    pathlib.Path
        ``out``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from hpmob.simulate import simulate_export
    >>> path = simulate_export(seed=1, n=100, out=Path(tempfile.mkdtemp()) / "export.csv")
    >>> pd.read_csv(path).shape
    (100, 53)
    """
    model = model or load_population_model()
    cb = codebook or load_codebook()
    n_dup = int(round(model["defects"]["duplicate_rows"] * n))
    sample = simulate_sample(n - n_dup, seed, model=model, codebook=cb)
    raw = make_raw_export(sample, seed, n_duplicates=n_dup, model=model, codebook=cb)
    return write_export(raw, out)
