"""perf runs end to end and writes its report (figures are measured, never asserted as speeds)."""

import json

from genbench.benchmark import perf_steps
from genbench.benchmark.perf import render_perf, run_perf


def test_perf_writes_its_report(tmp_path, data_dir, monkeypatch):
    monkeypatch.setattr(perf_steps, "MIN_SECONDS", 0.01)
    monkeypatch.setattr(perf_steps, "MATMUL_SIZE", 64)
    ssgan = next(case for case in perf_steps.CASES if case.model == "ssgan")
    report = run_perf(tmp_path, data_dir, tmp_path / "cache", steps=2, classifier_steps=10,
                      n_inception=4, frechet_dim=64, step_cases=[ssgan])
    assert [(r["model"], r["dataset"]) for r in report["training"]] == [("gan", "mnist"),
                                                                        ("dcgan", "mnist")]
    for row in report["training"]:
        assert row["fit_img_per_s"] > 0 and 0 <= row["input_share"] <= 1
    assert json.loads((tmp_path / "perf.json").read_text())["machine"] == report["machine"]
    text = (tmp_path / "perf.md").read_text()
    assert text == render_perf(report)
    assert "| dcgan | mnist | 64 |" in text and "input share" in text
    assert report["frechet"]["relative_difference"] < 1e-6
    models = [row["model"] for row in report["steps"]["rows"]]
    assert models[0] == "ssgan" and models[1:] in ([], ["fid_inception (forward)"])
    assert "| ssgan | mnist[labels=100] |" in text
