"""Two leaderboards' results side by side (e.g. protocol 1's archive against today's), one line a
row both have or either has, for the headline metrics of each suite:

    python scripts/compare_results.py reports/archive/results-protocol1.csv reports/results.csv

A row is (suite, task, model, dataset, setting, profile, metric); cells are "mean ± std (n)".
Rows that only one file has are shown with "—" on the other side: a protocol change renames
settings and adds datasets, so an absent row is not a missing run.
"""

from __future__ import annotations

import argparse

import pandas as pd

KEY = ["suite", "task", "model", "dataset", "setting", "profile", "metric"]
# The numbers each suite's closing note quotes.
HEADLINES = {"gan": ("fid", "fid_inf", "cfid", "modes_covered", "c2st_acc"),
             "diffusion": ("fid", "fid_inf", "cfid", "c2st_acc"),
             "translation": ("label_preservation", "cycle_error"),
             "ssl": ("error_pct",),
             "transfer": ("accuracy",),
             "adaptation": ("error_pct",)}


def cell(row, side):
    mean, std, n = row[f"mean_{side}"], row[f"std_{side}"], row[f"n_seeds_{side}"]
    if pd.isna(mean):
        return "—"
    return f"{mean:.4g}" + ("" if pd.isna(std) else f" ± {std:.2g}") + f" ({n:.0f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--suite", help="only this suite")
    args = parser.parse_args()
    old, new = (pd.read_csv(path, keep_default_na=False, na_values=[""]).fillna({"setting": ""})
                for path in (args.old, args.new))
    both = old.merge(new, on=KEY, how="outer", suffixes=("_old", "_new"))
    both = both[[metric in HEADLINES.get(suite, ()) for suite, metric
                 in zip(both["suite"], both["metric"], strict=True)]]
    if args.suite:
        both = both[both["suite"] == args.suite]
    print("| suite | model | dataset | setting | profile | metric | old | new |")
    print("|---|---|---|---|---|---|---|---|")
    for _, row in both.sort_values(KEY).iterrows():
        print(f"| {row.suite} | {row.model} | {row.dataset} | {row.setting} | {row.profile} | "
              f"{row.metric} | {cell(row, 'old')} | {cell(row, 'new')} |")


if __name__ == "__main__":
    main()
