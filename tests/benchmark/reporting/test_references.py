"""Published reference values next to ours."""

import pandas as pd

from genbench.benchmark.reporting.references import REFERENCES, Reference, reference_table


def test_reference_rows_show_ours_the_paper_and_the_difference():
    summary = pd.DataFrame([
        {"model": "ssgan", "dataset": "mnist", "setting": "labels=100", "metric": "error_pct",
         "mean": 1.5, "std": 0.25, "n_seeds": 3},
        {"model": "ssgan", "dataset": "mnist", "setting": "labels=100", "metric": "accuracy",
         "mean": 0.9, "std": 0.0025, "n_seeds": 3},
        {"model": "supervised", "dataset": "mnist", "setting": "labels=100", "metric": "error_pct",
         "mean": 20.0, "std": 1.0, "n_seeds": 3},
    ])
    table = reference_table(summary, "ssl").splitlines()
    assert table[0] == "| model | dataset | setting | metric | ours | paper | Δ | source |"
    assert len(table) == 3  # header, rule, and the one row with a published value
    assert table[2].startswith("| ssgan | mnist | labels=100 | error_pct | "
                               "1.50 ± 0.250 | 0.93 ± 0.065 | +0.57 |")
    assert reference_table(summary, "transfer") == ""
    own = {("t", "m", "d", "", "accuracy"): Reference(0.5, None, "someone")}
    renamed = summary.assign(model="m", dataset="d", setting="")
    assert "| 0.5 | +0.40 | someone |" in reference_table(renamed, "t", own)


def test_a_value_from_fewer_seeds_than_its_neighbours_is_marked():
    summary = pd.DataFrame([
        {"model": "ssgan", "dataset": "mnist", "setting": f"labels={n}", "metric": "error_pct",
         "mean": 2.0, "std": 0.5, "n_seeds": seeds} for n, seeds in ((20, 3), (50, 3), (100, 1))])
    assert "| 2.00 ± 0.500 (n=1) | 0.93 ± 0.065 |" in reference_table(summary, "ssl")
    assert "| 2.00 ± 0.500 | 16.77 ± 4.52 |" in reference_table(summary, "ssl")


def test_salimans_values_are_those_of_the_paper():
    assert REFERENCES[("ssl", "ssgan", "mnist", "labels=100", "error_pct")][:2] == (0.93, 0.065)
    assert (REFERENCES[("ssl", "ssgan", "cifar10-jpeg", "labels=4000", "error_pct")][:2]
            == (18.63, 2.32))
    assert (REFERENCES[("ssl", "ssgan", "svhn_cropped", "labels=1000", "error_pct")][:2]
            == (8.11, 1.3))
