"""Tests for hpmob.codebook: the shipped instrument and the codebook validator."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import unicodedata

import pandas as pd
import pytest

from hpmob.codebook import (
    Codebook,
    CodebookError,
    codebook_from_dict,
    codebook_table,
    load_codebook,
)

REFLECTIVE = ["AW", "RT", "PM", "IM", "DT", "SE", "CO"]
# Letters that only occur in Vietnamese text with its diacritics (plus đ/Đ).
VI_DIACRITIC = set("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ")


@pytest.fixture
def d(cb) -> dict:
    """A fresh, mutable copy of the shipped codebook dict."""
    return cb.to_dict()


def _strings(obj):
    """Every string anywhere in a nested dict/list structure (keys included)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def _item(d, code):
    return next(it for it in d["items"] if it["code"] == code)


def _attr(d, code):
    return next(a for a in d["attributes"] if a["code"] == code)


def _problems(d) -> list[str]:
    with pytest.raises(CodebookError) as exc:
        codebook_from_dict(d, source="mutated")
    assert "mutated" in str(exc.value)
    return exc.value.problems


# ------------------------------------------------------------ the shipped codebook
def test_shipped_codebook_loads_from_default_and_explicit_path(cb):
    assert isinstance(cb, Codebook)
    assert cb.path is not None and cb.path.name == "codebook.yaml"
    assert load_codebook(cb.path) == cb


def test_default_path_does_not_depend_on_cwd(tmp_path, monkeypatch, cb):
    monkeypatch.delenv("HPMOB_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_codebook() == cb


def test_meta(cb):
    meta = cb.data["meta"]
    assert meta["version"] == 1
    assert meta["languages"] == ["vi", "en"]
    assert meta["title_vi"] and meta["title_en"] and meta["note"]


def test_reflective_constructs_have_4_to_5_items(cb):
    assert cb.reflective_constructs == REFLECTIVE
    for c in REFLECTIVE:
        items = cb.items_of(c)
        assert 4 <= len(items) <= 5, (c, items)
        assert {cb.scale_of(i) for i in items} == {"agree5"}


def test_sol_is_not_reflective_and_uses_necessity_scale(cb):
    cons = cb.constructs.set_index("code")
    assert not cons.loc["SOL", "reflective"]
    sol = cb.items_of("SOL")
    assert 5 <= len(sol) <= 6
    assert {cb.scale_of(i) for i in sol} == {"need5"}
    assert cb.value_labels("need5", lang="vi")[5] == "Rất cần thiết"
    assert cb.value_labels("need5", lang="en")[5] == "Very necessary"


@pytest.mark.parametrize("construct", ["AW", "PM"])
def test_aw_and_pm_have_negatively_worded_reverse_items(cb, construct):
    items = cb.items.set_index("code")
    rev = [i for i in cb.items_of(construct) if items.loc[i, "reverse"]]
    assert rev, f"{construct} needs at least one reverse-keyed item"
    for i in rev:
        vi = items.loc[i, "text_vi"].lower()
        en = items.loc[i, "text_en"].lower()
        assert any(w in vi for w in ("không", "chưa", "khó khăn")), vi
        assert any(w in en for w in ("not", "difficult", "hard")), en
    assert not items["reverse"][items["construct"].isin(["RT", "IM", "DT", "SE", "CO", "SOL"])].any()


def test_all_text_is_nfc(cb):
    strings = list(_strings(cb.data))
    assert len(strings) > 100
    bad = [s for s in strings if not unicodedata.is_normalized("NFC", s)]
    assert bad == []
    raw = cb.path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)


def test_vietnamese_text_has_diacritics_and_differs_from_english(cb):
    items = cb.items
    for _, row in items.iterrows():
        assert set(row["text_vi"].lower()) & VI_DIACRITIC, row["code"]
        assert row["text_vi"] != row["text_en"]
    for lab in cb.scales["label_vi"]:
        assert set(lab.lower()) & VI_DIACRITIC, lab
    for _, row in cb.constructs.iterrows():
        assert set(row["label_vi"].lower()) & VI_DIACRITIC, row["code"]


def test_items_cite_the_doctrine(cb):
    text = " ".join(cb.items["text_vi"])
    for ref in ["25-NQ/TW", "23-QĐ/TW", "Dân vận khéo",
                "dân biết, dân bàn, dân làm, dân kiểm tra, dân giám sát, dân thụ hưởng",
                "trọng dân, gần dân, hiểu dân, học dân, có trách nhiệm với dân"]:
        assert ref in text, ref


def test_agreement_scale_labels(cb):
    assert cb.value_labels("agree5", lang="vi") == {
        1: "Hoàn toàn không đồng ý",
        2: "Không đồng ý",
        3: "Phân vân",
        4: "Đồng ý",
        5: "Hoàn toàn đồng ý",
        9: "Không trả lời",
    }
    assert cb.value_labels("AW1", lang="en", include_missing=False)[1] == "Strongly disagree"
    assert cb.agree_codes("RT1") == [4, 5]
    assert cb.missing_codes("agree5") == [9]
    assert cb.scale_range("PM5") == (1, 5)


def test_attributes(cb):
    attrs = cb.attributes.set_index("code")
    assert list(attrs.index) == [
        "level", "area", "position", "gender", "age", "years_in_post",
        "education", "theory_level", "training_courses",
    ]
    assert attrs.loc["level", "values"] == ("city", "district", "commune")
    assert attrs.loc["area", "values"] == ("urban", "rural", "island")
    assert attrs.loc["position", "values"] == (
        "party_committee", "mass_mobilization", "government", "front_or_mass_org")
    assert attrs.loc["gender", "values"] == ("male", "female")
    assert attrs.loc["education", "values"] == ("upper_secondary", "college", "bachelor", "postgraduate")
    assert attrs.loc["theory_level", "values"] == ("none", "elementary", "intermediate", "advanced")
    # hard domain (export error outside) vs plausible bounds (respondent excluded outside)
    assert cb.integer_bounds("age") == {"range": (0, 120), "plausible": (18, 70)}
    assert cb.integer_bounds("years_in_post") == {"range": (0, 100), "plausible": (0, 45)}
    assert cb.integer_bounds("training_courses") == {"range": (0, 99), "plausible": (0, 20)}
    assert attrs.loc["age", "range"] == (0, 120)
    assert attrs.loc["age", "values"] is None and attrs.loc["level", "range"] is None
    assert cb.value_labels("level", lang="vi") == {
        "city": "Cấp thành phố", "district": "Cấp quận, huyện", "commune": "Cấp xã, phường, thị trấn"}
    assert cb.value_labels("theory_level", lang="vi")["elementary"] == "Sơ cấp"
    with pytest.raises(ValueError, match="age"):
        cb.value_labels("age")


def test_label_lookup_accepts_variants_and_aliases(cb):
    import unicodedata

    from hpmob.codebook import normalize_label

    lookup = cb.label_lookup("PM5")
    for variant in ["Đồng ý", " đồng  ý", "ĐỒNG Ý", unicodedata.normalize("NFD", "Đồng ý"), "Dong y", "Agree", "4"]:
        assert lookup[normalize_label(variant)] == 4, variant
    assert lookup[normalize_label("Không trả lời")] == 9
    assert normalize_label("Đồng ỷ") not in lookup  # an unknown spelling is not guessed
    level = cb.label_lookup("level")
    assert level[normalize_label("Cấp xã, phường, thị trấn")] == "commune"
    assert level[normalize_label("Không trả lời")] is None


def test_alias_pointing_at_two_codes_is_rejected(d):
    d["scales"]["agree5"]["codes"][4]["aliases"] = ["Không đồng ý"]
    with pytest.raises(CodebookError, match="matches both"):
        codebook_from_dict(d)


def test_plausible_outside_range_is_rejected(d):
    age = next(a for a in d["attributes"] if a["code"] == "age")
    age["plausible"] = [10, 200]
    with pytest.raises(CodebookError, match="plausible"):
        codebook_from_dict(d)


def test_tables_have_the_documented_columns(cb):
    assert list(cb.items.columns) == ["code", "construct", "scale", "reverse", "text_vi", "text_en"]
    assert cb.items["reverse"].dtype == bool
    assert list(cb.items["code"]) == cb.item_columns
    cons = cb.constructs
    assert {"code", "label_vi", "label_en", "reflective", "n_items"} <= set(cons.columns)
    assert cons.set_index("code")["n_items"].sum() == len(cb.items)
    sc = cb.scales
    assert list(sc.columns) == ["scale", "code", "label_vi", "label_en", "is_missing"]
    assert sc.loc[sc["is_missing"], "code"].tolist() == [9, 9]
    assert {"code", "type", "label_vi", "label_en", "values", "range"} <= set(cb.attributes.columns)


def test_column_lists(cb):
    assert cb.admin_columns == ["respondent_id", "submitted_at", "duration_sec"]
    assert cb.personal_columns == ["full_name", "phone", "email", "unit_name"]
    exp = cb.expected_columns
    assert exp == cb.admin_columns + cb.personal_columns + cb.attribute_columns + cb.item_columns
    assert len(exp) == len(set(exp))


def test_codebook_table(cb):
    tab = codebook_table(cb, lang="en")
    assert list(tab.columns) == [
        "construct", "construct_label", "code", "wording_vi", "wording_en", "scale", "reversed"]
    assert len(tab) == len(cb.items)
    row = tab.set_index("code").loc["AW5"]
    assert row["reversed"] and row["construct"] == "AW"
    assert row["scale"] == "1–5 (Strongly disagree … Strongly agree)"
    vi = codebook_table(cb, lang="vi").set_index("code")
    assert vi.loc["SOL1", "scale"] == "1–5 (Hoàn toàn không cần thiết … Rất cần thiết)"
    assert vi.loc["AW1", "construct_label"] == cb.data["constructs"]["AW"]["vi"]
    with pytest.raises(ValueError, match="lang"):
        codebook_table(cb, lang="fr")


# ------------------------------------------------------------------- immutability
def test_codebook_is_frozen_and_returns_copies(cb):
    with pytest.raises(dataclasses.FrozenInstanceError):
        cb.data = {}
    items = cb.items
    items.loc[0, "reverse"] = True
    assert not cb.items.loc[0, "reverse"]
    cb.admin_columns.append("x")
    assert "x" not in cb.admin_columns


def test_codebook_from_dict_copies_its_input(d):
    built = codebook_from_dict(d)
    d["items"][0]["reverse"] = "garbage"
    assert not built.items.loc[0, "reverse"]
    assert built.source == "<dict>" and built.path is None


def test_with_reverse_flips_one_item(cb):
    assert not cb.items.set_index("code").loc["AW1", "reverse"]
    flipped = cb.with_reverse("AW1", True)
    rev = flipped.items.set_index("code")["reverse"]
    assert rev["AW1"]
    assert "AW1" in flipped.reverse_items and "AW1" not in cb.reverse_items
    # Only that item changed, and the original is untouched.
    orig = cb.items.set_index("code")["reverse"]
    assert (rev != orig).sum() == 1
    back = flipped.with_reverse("AW1", False)
    assert back == cb
    assert not cb.with_reverse("AW5", False).items.set_index("code").loc["AW5", "reverse"]
    with pytest.raises(KeyError, match="XX9"):
        cb.with_reverse("XX9", True)
    with pytest.raises(CodebookError, match="reverse"):
        cb.with_reverse("AW1", "yes")


def test_lookup_errors_name_the_unknown_entry(cb):
    with pytest.raises(KeyError, match="XX"):
        cb.items_of("XX")
    with pytest.raises(KeyError, match="nope"):
        cb.value_labels("nope")
    with pytest.raises(ValueError, match="lang"):
        cb.value_labels("agree5", lang="de")


# ------------------------------------------------------------------ validation
def _del_section(d):
    del d["attributes"]


def _dup_item(d):
    d["items"][1]["code"] = "AW1"


def _dup_item_attribute(d):
    _attr(d, "age")["code"] = "AW1"


def _dup_admin_personal(d):
    d["personal"].append("respondent_id")


def _dup_item_personal(d):
    d["personal"].append("PM2")


def _unknown_scale(d):
    _item(d, "IM2")["scale"] = "agree7"


def _unknown_construct(d):
    _item(d, "DT3")["construct"] = "DX"


def _too_few_items(d):
    d["items"] = [it for it in d["items"] if it["code"] not in ("CO3", "CO4")]


def _gap_in_codes(d):
    del d["scales"]["need5"]["codes"][3]


def _string_codes(d):
    codes = d["scales"]["agree5"]["codes"]
    d["scales"]["agree5"]["codes"] = {str(k): v for k, v in codes.items()}


def _missing_collides(d):
    d["scales"]["agree5"]["missing"] = {5: {"vi": "Không trả lời", "en": "No answer"}}


def _reverse_not_bool(d):
    _item(d, "PM5")["reverse"] = "yes"


def _reverse_absent(d):
    del _item(d, "PM4")["reverse"]


def _categorical_without_values(d):
    del _attr(d, "area")["values"]


def _range_reversed(d):
    _attr(d, "age")["range"] = [70, 18]


def _range_not_int(d):
    _attr(d, "years_in_post")["range"] = [0, "45"]


def _range_short(d):
    _attr(d, "training_courses")["range"] = [0]


def _missing_vi_item(d):
    del _item(d, "SE2")["vi"]


def _empty_en_item(d):
    _item(d, "SOL4")["en"] = "  "


def _missing_en_scale_label(d):
    del d["scales"]["need5"]["codes"][2]["en"]


def _missing_vi_construct(d):
    del d["constructs"]["RT"]["vi"]


def _missing_vi_value(d):
    del _attr(d, "gender")["values"]["female"]["vi"]


def _nfd_text(d):
    it = _item(d, "AW2")
    it["vi"] = unicodedata.normalize("NFD", it["vi"])


def _reflective_not_bool(d):
    d["constructs"]["SE"]["reflective"] = "true"


def _yaml_bool_value(d):
    _attr(d, "gender")["values"][True] = _attr(d, "gender")["values"].pop("male")
    _attr(d, "gender")["order"] = [True, "female"]


def _bad_order(d):
    _attr(d, "level")["order"] = ["city", "commune"]


def _bad_code(d):
    _item(d, "IM1")["code"] = "IM 1"


def _duplicate_label(d):
    d["scales"]["agree5"]["codes"][2]["vi"] = "Hoàn toàn không đồng ý"


def _unknown_attribute_type(d):
    _attr(d, "age")["type"] = "float"


def _empty_construct(d):
    d["constructs"]["XT"] = {"vi": "Thử", "en": "Test", "reflective": False, "role": "descriptive"}


MUTATIONS = [
    # (mutation, substrings that must appear in one problem)
    (_del_section, ["missing top-level section", "attributes"]),
    (_dup_item, ["items", "AW1", "unique"]),
    (_dup_item_attribute, ["AW1", "items", "attributes"]),
    (_dup_admin_personal, ["respondent_id", "admin", "personal"]),
    (_dup_item_personal, ["PM2", "personal", "items"]),
    (_unknown_scale, ["items[", "IM2", "unknown scale", "agree7"]),
    (_unknown_construct, ["DT3", "unknown construct", "DX"]),
    (_too_few_items, ["constructs.CO", "2 item", "at least 3"]),
    (_gap_in_codes, ["scales.need5.codes", "consecutive"]),
    (_string_codes, ["scales.agree5.codes", "not integers"]),
    (_missing_collides, ["scales.agree5.missing", "collides", "5"]),
    (_reverse_not_bool, ["PM5", "reverse", "'yes'"]),
    (_reverse_absent, ["PM4", "reverse"]),
    (_categorical_without_values, ["area", "no values"]),
    (_range_reversed, ["age", "range", "min < max"]),
    (_range_not_int, ["years_in_post", "range"]),
    (_range_short, ["training_courses", "range"]),
    (_missing_vi_item, ["SE2", "missing vi text"]),
    (_empty_en_item, ["SOL4", "missing en text"]),
    (_missing_en_scale_label, ["scales.need5.codes.2", "missing en text"]),
    (_missing_vi_construct, ["constructs.RT", "missing vi text"]),
    (_missing_vi_value, ["gender", "female", "missing vi text"]),
    (_nfd_text, ["AW2", "NFC"]),
    (_reflective_not_bool, ["constructs.SE", "reflective", "true or false"]),
    (_yaml_bool_value, ["gender", "True", "not an identifier"]),
    (_bad_order, ["level", "order"]),
    (_bad_code, ["IM 1", "valid column name"]),
    (_duplicate_label, ["agree5", "Hoàn toàn không đồng ý", "distinct"]),
    (_unknown_attribute_type, ["age", "type", "float"]),
    (_empty_construct, ["constructs.XT", "no items"]),
]


@pytest.mark.parametrize("mutate, expected", MUTATIONS, ids=[m.__name__.lstrip("_") for m, _ in MUTATIONS])
def test_validation_names_the_offending_entry(d, mutate, expected):
    mutate(d)
    problems = _problems(d)
    assert any(all(s in p for s in expected) for p in problems), problems


def test_shipped_dict_round_trips_without_problems(d, cb):
    assert codebook_from_dict(d) == cb


def test_all_problems_reported_at_once(d):
    _unknown_scale(d)
    _reverse_not_bool(d)
    _range_reversed(d)
    _missing_vi_item(d)
    problems = _problems(d)
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    for code in ("IM2", "PM5", "age", "SE2"):
        assert code in text
    with pytest.raises(CodebookError, match=r"\(4 problems\)"):
        codebook_from_dict(d)


def test_missing_sections_are_reported_without_cascading(d):
    del d["scales"], d["constructs"]
    problems = _problems(d)
    assert len(problems) == 2, problems
    assert all("missing top-level section" in p for p in problems)


def test_non_mapping_top_level():
    with pytest.raises(CodebookError, match="top level must be a mapping"):
        codebook_from_dict([1, 2, 3])


def test_error_is_a_value_error_and_picklable(d):
    _unknown_construct(d)
    with pytest.raises(ValueError) as exc:
        codebook_from_dict(d, source="x")
    again = pickle.loads(pickle.dumps(exc.value))
    assert isinstance(again, CodebookError)
    assert again.problems == exc.value.problems and str(again) == str(exc.value)


# ------------------------------------------------------------------- YAML files
def test_malformed_yaml_reports_file_and_line(tmp_path, cb):
    lines = cb.path.read_text(encoding="utf-8").splitlines()
    # Break the indentation of the AW1 item's wording (a mapping key at a wrong level).
    idx = next(i for i, line in enumerate(lines) if line.strip() == "- code: AW1") + 4
    assert lines[idx].lstrip().startswith("vi:")
    lines[idx] = "  " + lines[idx].lstrip() + "\n   bad: [unclosed"
    bad = tmp_path / "broken.yaml"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        load_codebook(bad)
    msg = str(exc.value)
    assert str(bad) in msg
    assert "YAML syntax error at line" in msg
    line = int(msg.split("at line ")[1].split(",")[0])
    assert abs(line - (idx + 1)) <= 2, (line, idx + 1)


def test_duplicate_yaml_key_is_an_error(tmp_path, cb):
    text = cb.path.read_text(encoding="utf-8")
    dup = text.replace(
        "constructs:\n",
        'constructs:\n  CO:\n    vi: "Trùng"\n    en: "Duplicate"\n    reflective: true\n    role: challenge\n',
        1,
    )
    f = tmp_path / "dup.yaml"
    f.write_text(dup, encoding="utf-8")
    with pytest.raises(CodebookError, match=r"duplicate key 'CO' \(first defined at line \d+\)"):
        load_codebook(f)


def test_schema_error_in_file_names_the_file(tmp_path, cb):
    f = tmp_path / "cb.yaml"
    f.write_text(cb.path.read_text(encoding="utf-8").replace("    reverse: true", "    reverse: maybe", 1),
                 encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        load_codebook(f)
    assert str(f) in str(exc.value)
    assert "AW5" in str(exc.value) and "'maybe'" in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_codebook(tmp_path / "nope.yaml")


def test_items_frame_is_a_dataframe_in_file_order(cb):
    items = cb.items
    assert isinstance(items, pd.DataFrame)
    assert items["code"].tolist()[:6] == ["AW1", "AW2", "AW3", "AW4", "AW5", "RT1"]
    assert copy.deepcopy(cb.data) == cb.to_dict()
