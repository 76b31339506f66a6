import math

from genbench.benchmark.reporting.tables import (
    format_value,
    markdown_table,
    provenance_line,
    summarize,
)


def _row(model, seed, metric, value, **prov):
    return {"suite": "gan", "task": "generation", "model": model, "dataset": "mnist", "setting": "",
            "profile": "smoke", "seed": seed, "metric": metric, "value": value, "unit": "",
            "config_hash": f"{model}-hash", "provenance": prov}


def test_summary_is_mean_and_sample_std_over_seeds():
    rows = [_row("gan", 0, "cfid", 10.0), _row("gan", 1, "cfid", 14.0),
            _row("dcgan", 0, "cfid", 3.0)]
    summary = summarize(rows).set_index("model")
    assert summary.loc["gan", "mean"] == 12.0
    assert summary.loc["gan", "std"] == math.sqrt(8.0)  # ddof=1: ((2^2 + 2^2) / 1) ** 0.5
    assert summary.loc["gan", "n_seeds"] == 2
    assert math.isnan(summary.loc["dcgan", "std"])  # one seed: no spread to report
    assert list(summarize(rows).columns) == ["suite", "task", "model", "dataset", "setting",
                                            "profile", "metric", "mean", "std", "n_seeds", "unit",
                                            "config_hash"]
    assert summary.loc["gan", "config_hash"] == "gan-hash"


def test_markdown_table_layout():
    summary = summarize([_row("gan", 0, "cfid", 10.0), _row("gan", 1, "cfid", 14.0),
                         _row("gan", 0, "recall", 0.5), _row("gan", 1, "recall", 0.5)])
    table = markdown_table(summary, ["cfid", "recall"]).splitlines()
    assert table[0] == "| model | dataset | cfid ↓ | recall ↑ |"
    assert table[2] == "| gan | mnist | 12.0 ± 2.83 | 0.500 ± 0.000 |"


def test_a_cell_of_another_seed_count_than_the_rest_of_its_table_says_how_many():
    rows = [_row(model, seed, "cfid", 10.0 + seed)
            for model in ("gan", "dcgan") for seed in (0, 1, 2)]
    rows += [_row("cyclegan", 0, "cfid", 7.0), _row("cyclegan", 0, "recall", 0.5)]
    table = markdown_table(summarize(rows), ["cfid", "recall"]).splitlines()
    assert table[2] == "| gan | mnist | 11.0 ± 1.00 | – |"
    assert table[4] == "| cyclegan | mnist | 7.00 (n=1) | 0.500 (n=1) |"
    single = summarize([_row("gan", 0, "cfid", 7.0), _row("dcgan", 0, "cfid", 5.0)])
    # all alike: no marks
    assert markdown_table(single, ["cfid"]).splitlines()[2] == "| gan | mnist | 7.00 |"


def test_format_value():
    assert format_value(123.456, float("nan")) == "123"
    assert format_value(0.12345, 0.01) == "0.123 ± 0.010"


def test_provenance_names_extractor_samples_split_and_resize():
    rows = [_row("gan", 0, "cfid", 1.0, extractor="mnist_cnn", weights_sha256="abc", n_fake=500,
                 n_real=1000, real_split="train (1000, seed 0)", resize="none")]
    line = provenance_line(rows, [0], "smoke", "test cpu")
    assert ("- cfid on `mnist_cnn` (weights sha256 abc): 500 generated vs 1000 real from "
            "train (1000, seed 0); resize: none") in line
    assert "- seeds 0; profile smoke; machine: test cpu" in line


def test_provenance_names_the_test_splits_accuracies_were_scored_on():
    rows = [_row("dann", 0, metric, 0.9, split=split, network="build_small_cnn")
            for metric in ("accuracy", "error_pct")
            for split in ("usps test (all 2007)", "mnist test (all 10000)")]
    line = provenance_line(rows, [0], "smoke", "test cpu")
    assert ("- accuracy, error_pct scored on mnist test (all 10000) by `build_small_cnn`; "
            "usps test (all 2007) by `build_small_cnn`") in line


def test_provenance_says_splits_that_differ_only_in_data_seed_once():
    rows = [_row("ssgan", seed, "val_accuracy", 0.9, split=f"mnist train, 100 labelled "
                 f"(class-balanced, data seed {seed}), apart from the training images")
            for seed in (1002, 1000, 1001)]
    rows.append(_row("dann", 0, "val_accuracy", 0.9, split="usps train (data seed 7)"))
    rows += [_row("dann", seed, "val_accuracy", 0.9, split=f"mnist train (data seed {seed})")
             for seed in (3, 5)]
    rows.append(_row("dann", 0, "val_accuracy", 0.9, split="mnist test (all 10000)"))
    line = provenance_line(rows, [0], "smoke", "test cpu")
    assert ("- val_accuracy scored on mnist test (all 10000); mnist train (data seeds 3, 5); "
            "mnist train, 100 labelled (class-balanced, data seeds 1000-1002), apart from the "
            "training images; usps train (data seed 7)") in line
