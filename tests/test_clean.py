"""Cleaning: every raw row accounted for, each rule and its threshold, privacy, formats."""

import filecmp
import shutil

import pandas as pd
import pyreadstat
import pytest

from hpmob.clean import RULES, CleaningRules, clean_export, read_responses, recode_export, run_cleaning, write_processed
from hpmob.io import ExportError, load_export, read_export, write_manifest
from hpmob.simulate import make_raw_export, simulate_sample


@pytest.fixture(scope="module")
def shipped(root):
    return root / "data" / "raw" / "hpmob_survey_export.csv"


@pytest.fixture(scope="module")
def result(shipped, cb):
    return clean_export(load_export(shipped, cb), cb)


def test_every_raw_row_is_analysed_or_excluded_with_a_reason(result, shipped):
    n_raw = len(read_export(shipped))
    ids_in = set(result.responses["resp_id"])
    ids_out = set(result.exclusions["resp_id"])
    assert not ids_in & ids_out
    assert len(ids_in) + len(ids_out) == n_raw == len(ids_in | ids_out)
    assert result.exclusions["detail"].str.len().min() > 10
    flow = result.flow
    assert flow["n_remaining"].iloc[0] == n_raw and flow["n_remaining"].iloc[-1] == len(ids_in)
    assert flow["n_excluded"].iloc[1:-1].sum() == len(ids_out)
    # every planted defect class is caught on the shipped export
    assert set(result.exclusions["rule"]) == set(RULES)


def test_processed_data_hold_codes_and_no_personal_data(result, cb, tmp_path):
    paths = write_processed(result, tmp_path)
    responses = read_responses(paths["responses"], cb)
    assert list(responses.columns) == ["resp_id", *cb.attribute_columns, *cb.item_columns]
    assert set(responses["level"].dropna()) <= {"city", "district", "commune"}
    items = responses[cb.item_columns].stack()
    assert items.between(1, 5).all()  # the no-answer code 9 became missing
    text = paths["responses"].read_text(encoding="utf-8") + paths["exclusions"].read_text(encoding="utf-8")
    for col in [*cb.personal_columns, "submitted_at", "respondent_id"]:
        assert col not in text


def test_processed_files_are_byte_identical_on_rerun(shipped, tmp_path, cb):
    for out in ("a", "b"):
        write_processed(clean_export(load_export(shipped, cb), cb), tmp_path / out)
    for name in ("responses.csv", "exclusions.csv"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False)


def test_xlsx_and_sav_give_the_same_processed_data(shipped, tmp_path, cb, result):
    raw = read_export(shipped)
    xlsx, sav = tmp_path / "export.xlsx", tmp_path / "export.sav"
    raw.to_excel(xlsx, index=False)
    pyreadstat.write_sav(raw, str(sav))
    for path in (xlsx, sav):
        other = clean_export(load_export(path, cb), cb)
        pd.testing.assert_frame_equal(other.responses, result.responses)
        pd.testing.assert_frame_equal(other.exclusions, result.exclusions)


def _small_raw(n=40, seed=2):
    sample = simulate_sample(n, seed=seed)
    return make_raw_export(sample, seed=seed, n_duplicates=0)


def test_each_rule_fires_on_what_it_describes_and_its_threshold_matters(cb):
    raw = _small_raw()
    result = clean_export(raw, cb)
    base = set(result.exclusions["resp_id"])
    planted = raw.copy()
    when = pd.to_datetime(planted["submitted_at"])
    order = when.sort_values(kind="stable").index
    # plant one defect per rule into respondents not already excluded
    free = [i for k, i in enumerate(order) if f"R{k + 1:04d}" not in base]
    i_dup, i_speed, i_straight, i_age = free[:4]
    dup = planted.loc[[i_dup]].copy()
    dup["respondent_id"] = "S999999"
    dup["submitted_at"] = "2024-12-31 23:00:00"
    planted = pd.concat([planted, dup], ignore_index=True)
    planted.loc[i_speed, "duration_sec"] = "30"
    agree = [c for c in cb.item_columns if cb.scale_of(c) == "agree5"]
    planted.loc[i_straight, agree] = "Đồng ý"
    planted.loc[i_age, "age"] = "4"
    out = clean_export(planted, cb)
    new = out.exclusions[~out.exclusions["resp_id"].isin(base)]
    assert sorted(new["rule"]) == sorted(["duplicate", "speeder", "straight_liner", "impossible_value"])
    assert new.loc[new.rule == "speeder", "detail"].str.contains("30 s").all()
    assert new.loc[new.rule == "impossible_value", "detail"].str.contains("age = 4").all()
    # dropping a rule keeps those respondents in
    relaxed = clean_export(planted, cb, CleaningRules(apply=("duplicate", "item_nonresponse", "speeder",
                                                             "impossible_value")))
    assert "straight_liner" not in set(relaxed.exclusions["rule"])
    n_straight = int((out.exclusions.rule == "straight_liner").sum())
    assert n_straight >= 1
    assert len(relaxed.responses) == len(out.responses) + n_straight
    # a stricter speeder threshold excludes at least as many
    strict = clean_export(planted, cb, CleaningRules(speeder_fraction=0.9))
    assert (strict.exclusions.rule == "speeder").sum() > (out.exclusions.rule == "speeder").sum()


def test_item_nonresponse_threshold(cb):
    raw = _small_raw()
    target = raw.index[5]
    items = cb.item_columns
    raw.loc[target, items[:8]] = ""   # 8 of 37 items blank = 21.6 %
    raw.loc[target, items[8:]] = "Phân vân"
    ex = clean_export(raw, cb).exclusions
    assert "item_nonresponse" in set(ex["rule"])
    lenient = clean_export(raw, cb, CleaningRules(max_item_missing=0.25)).exclusions
    assert (lenient["rule"] == "item_nonresponse").sum() < (ex["rule"] == "item_nonresponse").sum()


def test_years_in_post_cannot_exceed_working_life(cb):
    raw = _small_raw()
    base = clean_export(raw, cb)
    # a respondent no earlier rule excludes: the first analysed one, found in the raw rows
    cols = ["age", "years_in_post", "training_courses"]
    first = base.responses.iloc[0][cols].astype(int).tolist()
    target = raw.index[(raw[cols].astype(int) == first).all(axis=1)][0]
    raw.loc[target, ["age", "years_in_post"]] = ["30", "20"]
    out = clean_export(raw, cb)
    assert out.exclusions["detail"].str.contains("years_in_post = 20 exceeds age 30").any()


def test_recode_maps_variants_to_codes(cb):
    raw = _small_raw(n=5)
    raw.loc[0, "AW1"] = " ĐỒNG  Ý "
    raw.loc[1, "AW1"] = "Khong tra loi"
    raw.loc[0, "level"] = "cap thanh pho"
    coded = recode_export(raw, cb)
    assert coded.loc[0, "AW1"] == 4 and pd.isna(coded.loc[1, "AW1"])
    assert coded.loc[0, "level"] == "city"


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="unknown cleaning rule"):
        CleaningRules(apply=("duplicate", "typo"))
    with pytest.raises(ValueError, match="speeder_fraction"):
        CleaningRules(speeder_fraction=2)


def test_modified_raw_file_fails_the_manifest_check_and_raw_is_never_written(shipped, tmp_path, cb):
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    copy = raw_dir / shipped.name
    shutil.copyfile(shipped, copy)  # a writable copy (the shipped file is read-only after make all)
    write_manifest(raw_dir)
    before = (copy.read_bytes(), copy.stat().st_mtime_ns)
    run_cleaning(copy, tmp_path / "processed", cb)
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == before
    with open(copy, "ab") as fh:
        fh.write(b"\n")
    with pytest.raises(ExportError, match="was modified.*restore the original"):
        run_cleaning(copy, tmp_path / "processed2", cb)


def test_respondents_without_a_required_value_are_excluded_after_the_other_rules(shipped, cb, result):
    from hpmob.clean import NO_GROUP_VALUE

    required = clean_export(load_export(shipped, cb), cb, CleaningRules(require_value=("level",)))
    no_level = result.responses.loc[result.responses["level"].isna(), "resp_id"]
    assert len(no_level) == 3  # the shipped export: 3 analysed respondents without a level
    # exactly those, and only they, are excluded by the new rule; the others keep their reason
    log = required.exclusions.set_index("resp_id")
    assert sorted(log.index[log["rule"] == NO_GROUP_VALUE]) == sorted(no_level)
    assert (log.loc[no_level, "detail"] == "no value of level (blank or no answer)").all()
    kept = required.exclusions[required.exclusions["rule"] != NO_GROUP_VALUE].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, result.exclusions)
    assert required.responses["level"].notna().all() and len(required.responses) == len(result.responses) - 3
    flow = required.flow.set_index("rule")
    assert list(flow.index[-2:]) == [NO_GROUP_VALUE, "analysed"]
    assert flow.loc[NO_GROUP_VALUE, "n_excluded"] == 3
    assert flow.loc["analysed", "n_excluded"] == flow["n_excluded"].iloc[1:-1].sum()
    assert flow.loc["analysed", "n_remaining"] == len(required.responses)
    assert NO_GROUP_VALUE not in set(result.flow["rule"])  # not required: no row


def test_a_required_value_the_export_lacks_is_named(shipped, cb):
    with pytest.raises(KeyError, match="require_value names 'shoe_size'"):
        clean_export(load_export(shipped, cb), cb, CleaningRules(require_value=("shoe_size",)))
