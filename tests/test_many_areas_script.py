"""scripts/many_areas.py: the demo's exports made a study of twice as many areas (issue 14's
"14 areas x 2 languages" for the report stage)."""

import importlib.util
from pathlib import Path

import yaml

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "many_areas.py"


def _script():
    spec = importlib.util.spec_from_file_location("many_areas", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_child_goes_to_a_half_of_its_area_and_the_design_names_the_halves(tmp_path) -> None:
    script = _script()
    demo = tmp_path / "demo"
    demo.mkdir()
    header = "personnummer;fodelsedatum;kon;omrade;bvc"
    rows = ["1;2020-01-01;flicka;Söderängen;x", "2;2020-01-02;pojke;Lövängen;y",
            "3;2020-01-03;pojke;Söderängen;z", ""]
    (demo / "barn.csv").write_bytes("\r\n".join([header, *rows]).encode("latin-1"))
    (demo / "samtal.csv").write_text("familj_id;omrade\n", encoding="utf-8")
    areas = [f"C{i}" for i in range(8)]
    (demo / "study.yml").write_text(yaml.safe_dump({
        "name": "demo", "design": {"intervention_areas": ["I1", "I2"], "comparison_areas": areas},
        "inputs": {"children": "barn.csv", "conversations": "samtal.csv"},
        "area_selection": {"cni_above": 1.5}}), encoding="utf-8")
    study = script.many_areas(demo, tmp_path / "many")
    written = (tmp_path / "many" / "barn.csv").read_bytes().decode("latin-1").split("\r\n")
    assert written == [header, "1;2020-01-01;flicka;Söderängen A;x", "2;2020-01-02;pojke;Lövängen B;y",
                       "3;2020-01-03;pojke;Söderängen A;z", ""]
    assert study["design"]["intervention_areas"] == [
        f"{area} {half}" for area in ["I1", "I2", "C0", "C1", "C2", "C3", "C4"] for half in "AB"]
    assert study["design"]["comparison_areas"] == ["C5 A", "C5 B", "C6 A", "C6 B", "C7 A", "C7 B"]
    assert study["name"] == "many" and "conversations" not in study["inputs"]
    assert "area_selection" not in study and not (tmp_path / "many" / "samtal.csv").exists()
    assert yaml.safe_load((tmp_path / "many" / "study.yml").read_text(encoding="utf-8")) == study
