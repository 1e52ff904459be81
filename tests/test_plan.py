"""The analysis plan: loading, validation against the codebook (every problem at once), model syntax."""

import subprocess
import sys

import pytest
import yaml

from hpmob.codebook import codebook_from_dict
from hpmob.study.models import covariate_columns, indirect_label, measurement_syntax, structural_syntax
from hpmob.study.plan import PlanError, load_plan


@pytest.fixture
def plan_dict(root):
    return yaml.safe_load((root / "data" / "analysis_plan.yaml").read_text(encoding="utf-8"))


def _problems(tmp_path, data, cb):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(path, codebook=cb)
    return path, err.value.problems


def test_the_shipped_plan_declares_h1_to_h7_and_the_solutions(plan):
    labels = [h.label for h in plan.hypotheses]
    assert labels == ["H7", "H6 (AW)", "H6", "H1", "H2", "H3", "H4", "H4", "H4", "H5", "solutions", "—"]
    assert {h.type for h in plan.hypotheses} == {"path", "indirect", "latent_mean_order", "share_above", "ranking",
                                                 "not_testable"}
    for h in plan.hypotheses:
        assert h.claim["en"] and h.claim["vi"] and h.claim["en"] != h.claim["vi"]
    assert plan.estimation == {"estimator": "ML", "missing": "ml", "conf": 0.95,
                               "indirect_method": "bootstrap_bca", "agree_threshold": 0.80}
    assert plan.grouping["order"] == ["city", "district", "commune"]


def test_structural_syntax_is_todays_model(plan, cb):
    # the model notebook 05 fitted before the plan existed, line for line
    expected = "\n".join([
        "AW =~ AW1 + AW2 + AW3 + AW4 + AW5", "PM =~ PM1 + PM2 + PM3 + PM4 + PM5", "IM =~ IM1 + IM2 + IM3 + IM4 + IM5",
        "DT =~ DT1 + DT2 + DT3 + DT4", "SE =~ SE1 + SE2 + SE3 + SE4", "CO =~ CO1 + CO2 + CO3 + CO4",
        "PM ~ a*AW + h5*training_z + district + commune",
        "IM ~ b*PM + c*AW + d1*DT + d2*SE + d3*CO + district + commune",
        "AW ~ district + commune", "DT ~ district + commune", "SE ~ district + commune", "CO ~ district + commune",
        "AW ~~ DT + SE + CO", "DT ~~ SE + CO", "SE ~~ CO", "ind := a*b", "ind_train := h5*b", "total := c + a*b"])
    assert structural_syntax(plan, cb) == expected
    no_controls = structural_syntax(plan, cb, controls=False).splitlines()
    assert "PM ~ a*AW + h5*training_z" in no_controls and not any("district" in line for line in no_controls)
    assert measurement_syntax(cb, plan.group_constructs).splitlines()[1] == "PM =~ PM1 + PM2 + PM3 + PM4 + PM5"
    assert covariate_columns(plan, cb, "level_dummies") == ["district", "commune"]
    assert indirect_label(plan, ["AW", "PM", "IM"]) == ("ind", "a*b")


def test_a_trimmed_codebook_drops_optional_constructs_and_their_paths(root):
    spec = yaml.safe_load((root / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    for code in ("SE", "CO"):
        spec["constructs"].pop(code)
    spec["items"] = [it for it in spec["items"] if it["construct"] not in ("SE", "CO")]
    cb = codebook_from_dict(spec, source="trimmed")
    plan = load_plan(codebook=cb)
    assert plan.absent == ["SE", "CO"]
    assert "IM ~ b*PM + c*AW + d1*DT + district + commune" in structural_syntax(plan, cb).splitlines()
    assert plan.missing_for(plan.hypothesis("H4_SE")) == ["SE"] and not plan.missing_for(plan.hypothesis("H4_DT"))


def test_a_hypothesis_naming_an_unknown_construct_stops_with_file_line_entry_and_what_to_do(tmp_path, plan_dict, cb):
    plan_dict["hypotheses"][3]["rhs"] = "AWX"          # H1
    path, problems = _problems(tmp_path, plan_dict, cb)
    line = next(p for p in problems if "hypothesis H1" in p and "AWX" in p)
    assert line.startswith(f"{path}:") and int(line.split(":")[1]) > 1   # the line of the entry in the file
    assert "is not a construct of the codebook or the plan" in line and "— use one of AW" in line
    # the same typo also leaves H1 without a declared regression: reported in the same run
    assert any("hypothesis H1" in p and "not a regression of the structural model" in p for p in problems)


@pytest.mark.parametrize("regression, message", [
    ({"lhs": "PM", "rhs": "PM", "label": "z"}, "regressed on itself makes the model unidentified"),
    ({"lhs": "AW", "rhs": "IM", "label": "z"}, "feedback loop"),
    ({"lhs": "training_z", "rhs": "AW", "label": "z"}, "cannot be an outcome"),
])
def test_a_path_that_makes_the_model_unidentified_is_refused(tmp_path, plan_dict, cb, regression, message):
    plan_dict["structural"]["regressions"].append(regression)
    _, problems = _problems(tmp_path, plan_dict, cb)
    assert any(message in p and "structural.regressions" in p and " — " in p for p in problems), problems


def test_a_group_variable_with_one_level_is_refused(tmp_path, plan_dict, cb):
    plan_dict["grouping"]["order"] = ["city"]
    _, problems = _problems(tmp_path, plan_dict, cb)
    assert any("grouping (level)" in p and "only 1 level" in p and "needs at least two levels" in p
               for p in problems), problems


def test_a_codebook_attribute_with_one_value_as_group_is_refused(tmp_path, plan_dict, root):
    spec = yaml.safe_load((root / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    gender = next(a for a in spec["attributes"] if a["code"] == "gender")
    gender["values"] = {"female": gender["values"]["female"]}
    gender.pop("order", None)
    cb = codebook_from_dict(spec, source="one-gender")
    plan_dict["grouping"] = {"variable": "gender", "constructs": ["AW"]}
    plan_dict["hypotheses"] = [h for h in plan_dict["hypotheses"] if h["type"] != "latent_mean_order"]
    plan_dict["power"] = {"hypotheses": ["H3"]}
    _, problems = _problems(tmp_path, plan_dict, cb)
    assert any("grouping (gender)" in p and "only 1 level" in p for p in problems), problems


def test_every_problem_is_reported_at_once(tmp_path, plan_dict, cb):
    plan_dict["estimation"]["missing"] = "pairwise"
    plan_dict["hypotheses"][0]["type"] = "share_below"
    plan_dict["grouping"]["variable"] = "shoe_size"
    plan_dict["hypotheses"][5]["claim"].pop("vi")        # H3
    _, problems = _problems(tmp_path, plan_dict, cb)
    joined = "\n".join(problems)
    for needle in ("estimation.missing: 'pairwise' unknown", "type 'share_below' unknown",
                   "'shoe_size' is not a categorical attribute", "hypothesis H3: claim text missing"):
        assert needle in joined
    assert len(problems) >= 4


def test_settings_override_and_unknown_settings(plan):
    assert plan.with_settings(agree_threshold=0.75, conf=None).estimation["conf"] == 0.95
    with pytest.raises(ValueError, match="unknown estimation setting.*agree_treshold"):
        plan.with_settings(agree_treshold=0.75)


def test_hpmob_run_stops_on_a_plan_problem_before_anything_runs(tmp_path, plan_dict, root):
    plan_dict["hypotheses"][3]["rhs"] = "AWX"
    bad = tmp_path / "plan.yaml"
    bad.write_text(yaml.safe_dump(plan_dict, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "hpmob.cli", "run", "--raw",
                             str(root / "data" / "raw" / "hpmob_survey_export.csv"), "--codebook",
                             str(root / "data" / "codebook.yaml"), "--plan", str(bad), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert f"invalid analysis plan {bad}" in result.stderr and "hypothesis H1" in result.stderr
    assert "nothing was run" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_the_grouping_declares_what_cleaning_does_with_respondents_without_a_group(plan, cb, tmp_path, plan_dict):
    assert plan.grouping["missing"] == "exclude"
    assert plan.cleaning_rules().require_value == ("level",)
    plan_dict["grouping"]["missing"] = "keep"
    keep = tmp_path / "keep.yaml"
    keep.write_text(yaml.safe_dump(plan_dict, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_plan(keep, codebook=cb).cleaning_rules().require_value == ()


def test_an_unknown_treatment_of_respondents_without_a_group_is_located(tmp_path, plan_dict, cb):
    plan_dict["grouping"]["missing"] = "impute"
    path, problems = _problems(tmp_path, plan_dict, cb)
    line = next(p for p in problems if "grouping.missing" in p)
    assert line.startswith(f"{path}:") and int(line.split(":")[1]) > 1
    assert "'impute' unknown" in line and "use one of exclude, keep" in line
