"""perf runs end to end and writes its report (figures are measured, never asserted as speeds)."""

import json

from genbench.benchmark.perf import render_perf, run_perf


def test_perf_writes_its_report(tmp_path, data_dir):
    report = run_perf(tmp_path, data_dir, tmp_path / "cache", steps=2, classifier_steps=10,
                      n_inception=4, frechet_dim=64)
    assert [(r["model"], r["dataset"]) for r in report["training"]] == [("gan", "mnist"),
                                                                        ("dcgan", "mnist")]
    for row in report["training"]:
        assert row["fit_img_per_s"] > 0 and 0 <= row["input_share"] <= 1
    assert json.loads((tmp_path / "perf.json").read_text())["machine"] == report["machine"]
    text = (tmp_path / "perf.md").read_text()
    assert text == render_perf(report)
    assert "| dcgan | mnist | 64 |" in text and "input share" in text
    assert report["frechet"]["relative_difference"] < 1e-6
