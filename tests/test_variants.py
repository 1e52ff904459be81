"""Robustness variants: parameter routing, validation, and the side-by-side table."""

import pandas as pd
import pytest

from hpmob.variants import load_variants, robustness_table, variant_plan


def test_shipped_variants_load_with_defaults(root):
    variants = load_variants(root / "variants.yaml")
    assert len(variants) >= 5 and "main" in variants
    assert all(v["n_boot"] == 1000 for v in variants.values())  # the defaults section
    assert variants["mlr"]["estimator"] == "MLR"


def test_each_notebook_gets_only_the_parameters_it_declares(root, tmp_path):
    variants = load_variants(root / "variants.yaml")
    plan = {src.name[:2]: (out, params) for src, out, params in
            variant_plan("strict-cleaning", variants["strict-cleaning"], tmp_path / "strict-cleaning")}
    assert set(plan) == {"01", "02", "03", "04", "05", "06"}
    out, params01 = plan["01"]
    assert params01["speeder_fraction"] == 0.5 and params01["max_item_missing"] == 0.10
    assert params01["processed_dir"] == str(tmp_path / "strict-cleaning" / "processed")
    assert out == tmp_path / "strict-cleaning" / "notebooks" / "01-cleaning.ipynb"
    assert "speeder_fraction" not in plan["02"][1] and "n_boot" in plan["05"][1]
    assert plan["06"][1]["tables_dir"] == str(tmp_path / "strict-cleaning" / "tables")


def test_a_parameter_no_notebook_declares_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no notebook declares parameter.*speder_fraction"):
        variant_plan("typo", {"speder_fraction": 0.5}, tmp_path)


def test_malformed_variants_file(tmp_path):
    path = tmp_path / "variants.yaml"
    path.write_text("defaults: {n_boot: 10}\n")
    with pytest.raises(ValueError, match="needs a 'variants:' mapping"):
        load_variants(path)
    path.write_text("variants:\n  bad: [1, 2]\n")
    with pytest.raises(ValueError, match="variant 'bad' must map"):
        load_variants(path)


def test_robustness_table_marks_changed_verdicts(tmp_path):
    claims = pd.DataFrame({"claim": ["A", "B"], "hypothesis": ["H1", "H2"], "test": ["t", "t"],
                           "estimate": [0.3, 0.1], "ci_low": [0.1, -0.1], "ci_high": [0.5, 0.3],
                           "verdict": ["supported", "not supported"]})
    for name, verdict_b in [("main", "not supported"), ("alt", "supported")]:
        (tmp_path / name / "tables").mkdir(parents=True)
        claims.assign(verdict=["supported", verdict_b]).to_csv(tmp_path / name / "tables" / "claims.csv", index=False)
    table = robustness_table(tmp_path)
    assert set(table["variant"]) == {"main", "alt"}
    changed = table[table["changes"]]
    assert changed[["variant", "claim"]].values.tolist() == [["alt", "B"]]
    assert robustness_table(tmp_path / "none").empty


def test_a_rerun_reproduces_a_variant_folder_byte_for_byte(root, tmp_path):
    """Two runs of the cleaning and descriptives notebooks with the same parameters, same bytes.

    The whole-variant check (`hpmob run --variant NAME --check`, `make check-variants`) takes
    minutes; this covers the mechanism: papermill's wall-clock metadata is stripped, outputs,
    tables, figures and processed data depend only on the inputs.
    """
    from hpmob.notebooks import run_notebook
    from hpmob.variants import digest_differences, directory_digest

    plan = [step for step in variant_plan("agree-75", load_variants(root / "variants.yaml")["agree-75"],
                                          tmp_path / "agree-75") if step[0].name[:2] in {"01", "02"}]
    digests = []
    for _ in range(2):
        for source, output, params in plan:
            run_notebook(source, output, params)
        digests.append(directory_digest(tmp_path / "agree-75"))
    assert {"notebooks/01-cleaning.ipynb", "tables/agreement_rt.csv", "figures/fig_likert_AW.png",
            "processed/responses.csv"} <= set(digests[0])
    assert digest_differences(*digests) == []
    # and the comparison does see a change
    changed = dict(digests[1], **{"tables/agreement_rt.csv": "0" * 64})
    assert digest_differences(digests[0], changed) == ["changed: tables/agreement_rt.csv"]


def test_executed_notebooks_carry_no_wall_clock_times(tmp_path, make_notebook):
    from hpmob.notebooks import run_notebook

    nb = make_notebook([("x = 1", ["parameters"]), ("print(x)", [])])
    out = run_notebook(nb, tmp_path / "out.ipynb", {"x": 2})
    text = out.read_text(encoding="utf-8")
    assert '"start_time"' not in text and '"end_time"' not in text and '"duration"' not in text
    assert '"iopub.execute_input"' not in text and "2\n" in text


def test_checking_a_variant_that_was_never_built_says_so(tmp_path):
    from hpmob.variants import check_variant

    with pytest.raises(FileNotFoundError, match="variant 'agree-75' is not built.*make variants"):
        check_variant("agree-75", out_root=tmp_path)


@pytest.mark.slow
def test_in_process_and_papermill_variants_give_the_same_claims_table(tmp_path):
    """One variant both ways: notebooks 01-06 with papermill, and the study layer in this process."""
    import yaml

    from hpmob.variants import run_variant, run_variant_in_process

    fast = {"agree_threshold": 0.75, "n_boot": 100, "n_mc": 1000, "n_iter": 10, "run_ordinal": False, "n_jobs": 1}
    variants = tmp_path / "variants.yaml"
    variants.write_text(yaml.safe_dump({"variants": {"fast-agree-75": fast}}), encoding="utf-8")
    papermill = run_variant("fast-agree-75", variants_file=variants, out_root=tmp_path / "papermill")
    in_process = run_variant_in_process("fast-agree-75", variants_file=variants, out_root=tmp_path / "in-process")
    a = (papermill / "tables" / "claims.csv").read_bytes()
    b = (in_process / "tables" / "claims.csv").read_bytes()
    assert a == b
    claims = pd.read_csv(in_process / "tables" / "claims.csv")
    assert claims["test"].str.contains("above 75%").sum() == 7   # H7 and the six solutions at the variant's threshold
    # every results table the notebooks write, the in-process run writes with the same bytes
    for path in sorted((papermill / "tables").glob("*.csv")):
        assert path.read_bytes() == (in_process / "tables" / path.name).read_bytes(), path.name


def test_variant_settings_are_the_notebook_defaults_overridden(root):
    from hpmob.variants import variant_settings

    settings = variant_settings({"agree_threshold": 0.75})
    assert settings["agree_threshold"] == 0.75 and settings["n_boot"] == 2000 and settings["seed"] == 20250902
    with pytest.raises(ValueError, match="no notebook declares parameter.*agree_treshold"):
        variant_settings({"agree_treshold": 0.75})
