"""Leaderboards from the store: which runs a table averages."""

import csv
import dataclasses
import time

from genbench.benchmark.config import EvalConfig, RunConfig, TrainConfig
from genbench.benchmark.reporting import write_reports
from genbench.benchmark.store import ResultsStore

ENV = {"cpu": "test cpu", "cores": 2, "gpus": []}
OLD = RunConfig(suite="gan", task="generation", model="gan", dataset="ring8", profile="smoke",
                train=TrainConfig(steps=10, batch_size=8),
                eval=EvalConfig(num_samples=10, num_real=10))


def _finish(store, config, seed, value):
    run_id = store.start(config, seed, ENV)
    time.sleep(0.01)  # distinct finish times
    store.finish(run_id, "done", 1.0, [{"metric": "modes_covered", "value": value, "unit": "modes",
                                        "setting": "", "provenance": {}}])


def test_a_row_averages_only_its_newest_configuration(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    _finish(store, OLD, 0, 2.0)
    _finish(store, OLD, 1, 4.0)
    # e.g. --set train.steps=20
    new = dataclasses.replace(OLD, train=dataclasses.replace(OLD.train, steps=20))
    _finish(store, new, 0, 8.0)
    write_reports(store, tmp_path)
    with open(tmp_path / "results.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert (float(row["mean"]), int(row["n_seeds"])) == (8.0, 1)
    assert row["config_hash"] == new.hash != OLD.hash  # what a rerun elsewhere is matched on
    assert len(store.metrics()) == 3  # the older runs stay stored
    store.close()


def test_runs_of_an_earlier_protocol_are_left_out_and_counted(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    _finish(store, dataclasses.replace(OLD, protocol=1), 0, 2.0)
    _finish(store, dataclasses.replace(OLD, model="dcgan", protocol=1), 0, 3.0)  # not re-run yet
    _finish(store, OLD, 0, 8.0)
    _finish(store, OLD, 1, 6.0)
    write_reports(store, tmp_path)
    with open(tmp_path / "results.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert (row["model"], float(row["mean"]), int(row["n_seeds"])) == ("gan", 7.0, 2)
    board = (tmp_path / "leaderboard.md").read_text()
    assert "2 stored runs of an earlier protocol are left out" in board
    # each run finished in 1.0 s (``_finish``)
    assert "Wall time of the 2 runs shown: 0.00 h (gan 0.00 h;" in board
    store.close()


def test_rows_follow_the_suite_order_not_the_run_order(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    ssl = dataclasses.replace(OLD, suite="ssl", task="ssl", dataset="mnist", setting="labels=100")
    # Run (and rerun) in reverse: the ssl suite lists ssgan before supervised, and both after the
    # gan suite.
    for config in (dataclasses.replace(ssl, model="supervised"),
                   dataclasses.replace(ssl, model="ssgan"), OLD):
        _finish(store, config, 0, 1.0)
    write_reports(store, tmp_path)
    with open(tmp_path / "results.csv") as f:
        assert [(row["suite"], row["model"]) for row in csv.DictReader(f)] == [
            ("gan", "gan"), ("ssl", "ssgan"), ("ssl", "supervised")]
    store.close()


def test_side_by_side_tables_each_hold_one_sample_count(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    images = dataclasses.replace(OLD, dataset="mnist")
    for model, dataset, n_fake, cfid_n_fake in (("gan", "mnist", 2048, 2048),
                                                ("dcgan", "mnist", 2048, 2048),
                                                ("ldm", "mnist", 1000, 1000),
                                                ("ddpm", "mnist", 2048, 1000),
                                                ("dcgan", "cifar10-jpeg", 5000, 5000)):
        run_id = store.start(dataclasses.replace(images, model=model, dataset=dataset), 0, ENV)
        store.finish(run_id, "done", 1.0, [
            {"metric": metric, "value": 1.0, "unit": "", "setting": "",
             "provenance": {"extractor": "cnn", "weights_sha256": "abc", "resize": "none",
                            "n_fake": count, "n_real": 10000, "real_split": "train"}}
            for metric, count in (("classes_covered", n_fake), ("cfid", cfid_n_fake))])
    write_reports(store, tmp_path)
    board = (tmp_path / "leaderboard.md").read_text()
    tables = board.split("## gan / generation")[0].split("## Image generation")[1:]
    titles = [table.splitlines()[0] for table in tables]
    # The most rows first, then the larger count.
    assert titles == [f": GANs and diffusion side by side (smoke profile, {n} generated vs 10000 "
                      "real images)" for n in (2048, 5000, 1000)]
    assert "| gan | mnist |" in tables[0] and "| dcgan | mnist |" in tables[0]
    assert "| dcgan | cifar10-jpeg |" in tables[1] and "| ldm | mnist |" in tables[2]
    # ddpm's two scores have different counts: it is in no table, but named.
    assert "| ddpm |" not in board.split("## gan / generation")[0].split("Left out")[0]
    assert ("Left out, not all scores at one sample count and on one version of each network: "
            "ddpm on mnist (1000 vs 10000; 2048 vs 10000).") in tables[2]
    assert "its rows here were scored on" not in board  # one version of each network throughout
    store.close()


def test_side_by_side_tables_each_hold_one_version_of_each_network(tmp_path):
    """A domain classifier trained again (other weights) is another metric: the rows scored on
    each version get a table of their own, and a row whose seeds used both is left out."""
    store = ResultsStore(tmp_path / "results.sqlite")
    images = dataclasses.replace(OLD, dataset="mnist")
    for model, seed, weights in (("gan", 0, "old"), ("dcgan", 0, "old"), ("ldm", 0, "new"),
                                 ("ddpm", 0, "old"), ("ddpm", 1, "new")):
        run_id = store.start(dataclasses.replace(images, model=model), seed, ENV)
        store.finish(run_id, "done", 1.0, [
            {"metric": metric, "value": 1.0, "unit": "", "setting": "",
             "provenance": {"extractor": extractor, "weights_sha256": sha, "resize": "none",
                            "n_fake": 2048, "n_real": 10000, "real_split": "train"}}
            for metric, extractor, sha in (("classes_covered", "cnn", weights),
                                           ("cfid", "cnn", weights), ("fid", "inception", "i"))])
    write_reports(store, tmp_path)
    board = (tmp_path / "leaderboard.md").read_text()
    tables = board.split("## gan / generation")[0].split("## Image generation")[1:]
    rows = [[f"| {model} |" in table for model in ("gan", "dcgan", "ldm", "ddpm")]
            for table in tables]
    assert rows == [[True, True, False, False], [False, False, True, False]]
    assert ("On mnist, its rows here were scored on `cnn` (weights sha256 old), `inception` "
            "(weights sha256 i): rows scored on other weights") in tables[0]
    assert "scored on `cnn` (weights sha256 new), `inception` (weights sha256 i)" in tables[1]
    assert ("Left out, not all scores at one sample count and on one version of each network: "
            "ddpm on mnist (`cnn` weights new; `cnn` weights old).") in tables[1]
    store.close()


def test_the_reference_table_describes_the_newest_configuration_as_it_ran(tmp_path):
    """A row rerun with ``--set`` overrides is compared with the paper at the steps it ran."""
    store = ResultsStore(tmp_path / "results.sqlite")
    ssgan = dataclasses.replace(OLD, suite="ssl", task="ssl", model="ssgan", dataset="mnist",
                                setting="labels=100", profile="paper")
    for steps in (10, 30):
        rerun = dataclasses.replace(ssgan, train=TrainConfig(steps=steps, batch_size=100))
        run_id = store.start(rerun, 0, ENV)
        time.sleep(0.01)
        store.finish(run_id, "done", 1.0, [{"metric": "error_pct", "value": 5.0, "unit": "%",
                                            "setting": "labels=100", "provenance": {}}])
    write_reports(store, tmp_path)
    board = (tmp_path / "leaderboard.md").read_text()
    assert "training (paper: 180000 steps of batch 100; ours: 30 steps of batch 100)" in board
    store.close()


def test_a_section_says_why_its_images_have_no_inception_score(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    images = dataclasses.replace(OLD, dataset="mnist")
    for dataset, metrics in (("mnist", ("fid",)), ("fashion_mnist", ("fid", "is")),
                             ("ring8", ("modes_covered",))):
        run_id = store.start(dataclasses.replace(images, dataset=dataset), 0, ENV)
        store.finish(run_id, "done", 1.0, [{"metric": metric, "value": 1.0, "unit": "",
                                            "setting": "", "provenance": {}}
                                           for metric in metrics])
    write_reports(store, tmp_path)
    board = (tmp_path / "leaderboard.md").read_text()
    # fashion_mnist has its IS; ring8 has no images to score.
    assert ("No `is` on mnist: the Inception Score needs Keras' ImageNet InceptionV3 "
            "weights") in board
    store.close()
