import pytest
import yaml

from hpmob.study import citation, hypotheses_table, load_study, sampling_frame_table


def test_study_metadata_matches_the_design():
    study = load_study()
    assert study["doi"] == "10.11648/j.jppa.20250902.11"
    assert "SYNTHETIC" in study["data_statement"]
    assert "civil mobilization" in study["abstract"]
    hyp = hypotheses_table(study)
    assert list(hyp["id"]) == [f"H{i}" for i in range(1, 8)]
    assert list(hyp.columns) == ["id", "claim", "path", "sign"]
    frame = sampling_frame_table(study).set_index("level")["units"]
    # Hai Phong before the 2025 reorganization: 15 district-level and 217 commune-level units.
    assert frame["district"] == 15 and frame["commune"] == 217
    assert "9(2), 2025" in citation(study)


def test_missing_key_names_file_and_key(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({"title": "x", "journal": "y"}))
    with pytest.raises(ValueError, match=r"study\.yaml.*doi"):
        load_study(path)
