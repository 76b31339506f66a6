"""Leaderboards from stored results: the long-format CSV, Markdown tables, figure links.

Inputs are plain rows (dicts) so this module needs no database: one row per
(run, setting, metric) with the run's identity, the value and its provenance.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter

import pandas as pd

# A leaderboard row: one configuration's seeds; with the metric, one line of results.csv.
ROW_KEYS = ("suite", "task", "model", "dataset", "setting", "profile")
KEYS = [*ROW_KEYS, "metric"]
# config_hash: the configuration every seed of the row ran (a row averages one), which a rerun
# elsewhere can be matched against (README, Citing a number).
CSV_COLUMNS = KEYS + ["mean", "std", "n_seeds", "unit", "config_hash"]

# Column order of the leaderboard tables; metrics not listed come after, alphabetically.
METRIC_ORDER = ["modes_covered", "hq_share", "mode_kl", "fid", "fid_inf", "kid", "cfid", "cfid_inf",
                "ckid", "is", "cis", "classes_covered", "class_kl", "precision", "recall",
                "density", "coverage", "c2st_acc", "memorization", "path_smoothness",
                "class_transition", "cas", "cas_real", "accuracy", "error_pct", "val_accuracy",
                "source_val_accuracy", "label_preservation", "val_label_preservation",
                "cycle_error", "train_steps", "train_seconds", "train_img_per_s",
                "sample_img_per_s", "vae_train_seconds", "train_step_ms", "sampling_steps",
                "sample_ms_per_img"]
COST_METRICS = {"train_steps", "train_seconds", "train_img_per_s", "sample_img_per_s",
                "vae_train_seconds", "train_step_ms", "sampling_steps", "sample_ms_per_img"}
LOWER_IS_BETTER = {"fid", "fid_inf", "kid", "cfid", "cfid_inf", "ckid", "mode_kl", "class_kl",
                   "memorization", "error_pct", "path_smoothness", "cycle_error", "train_seconds",
                   "vae_train_seconds", "train_step_ms", "sampling_steps", "sample_ms_per_img"}


def summarize(metric_rows):
    """Long format: mean and sample std (ddof=1; empty for one seed) over seeds, with the rows'
    config hash (one per row: the leaderboard keeps each row's newest configuration)."""
    if not metric_rows:
        return pd.DataFrame(columns=CSV_COLUMNS)
    frame = pd.DataFrame(metric_rows)
    grouped = frame.groupby(KEYS, sort=False)
    summary = grouped["value"].agg(mean="mean", std="std", n_seeds="count").reset_index()
    summary["unit"] = grouped["unit"].first().values
    summary["config_hash"] = grouped["config_hash"].first().values
    return summary[CSV_COLUMNS]


def format_value(mean, std):
    def fmt(x):
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return ""
        magnitude = abs(x)
        digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
        return f"{x:.{digits}f}"
    text = fmt(mean)
    return f"{text} ± {fmt(std)}" if fmt(std) else text


def with_cells(summary):
    """``summary`` with a "cell" column, "mean ± std" plus " (n=k)" where a row averages another
    number of seeds than most rows do, so that a single-seed value among three-seed means shows
    as one."""
    usual_n = summary["n_seeds"].mode().max() if len(summary) else 0
    return summary.assign(cell=[format_value(r.mean, r.std)
                                + ("" if r.n_seeds == usual_n else f" (n={r.n_seeds})")
                                for r in summary.itertuples()])


def direction(metric):
    """Which way is better, for the table header."""
    if metric == "c2st_acc":
        return "(0.5 best)"
    if metric == "train_steps":  # what a run used, not a score
        return ""
    return "↓" if metric in LOWER_IS_BETTER else "↑"


def metric_sort_key(metric):
    return ((METRIC_ORDER.index(metric), metric) if metric in METRIC_ORDER
            else (len(METRIC_ORDER), metric))


def markdown_table(summary, metrics, row_keys=("model", "dataset", "setting")):
    """One Markdown table: a row per ``row_keys`` combination, a column per metric (see
    ``with_cells``)."""
    row_keys = [k for k in row_keys if summary[k].astype(str).str.len().gt(0).any()]
    rows = with_cells(summary[summary["metric"].isin(metrics)])
    header = list(row_keys) + [f"{m} {direction(m)}".rstrip() for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, group in rows.groupby(list(row_keys), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        values = {r.metric: r.cell for r in group.itertuples()}
        cells = list(map(str, key)) + [values.get(m, "–") for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_table(summary, numerator, denominator, metrics):
    """Markdown table of mean(``numerator`` model) / mean(``denominator`` model) per dataset and
    setting, one column per metric; only datasets where both models have results."""
    means = summary.set_index(["dataset", "setting", "model", "metric"])["mean"]
    header = ["dataset", "setting"] + [f"{m} {numerator}/{denominator}" for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    pairs = summary[["dataset", "setting"]].drop_duplicates()
    for dataset, setting in pairs.itertuples(index=False):
        ratios = [means.get((dataset, setting, numerator, m), math.nan)
                  / means.get((dataset, setting, denominator, m), math.nan) for m in metrics]
        if not all(math.isnan(r) for r in ratios):
            cells = [f"{r:.3g}" if not math.isnan(r) else "–" for r in ratios]
            lines.append("| " + " | ".join([dataset, setting] + cells) + " |")
    return "\n".join(lines)


def provenance_line(metric_rows, seeds, profile, machine):
    """Which network (and weights), sample counts, real split and resizing made each score
    (``provenance_bullets``); then the seeds, profile and machine."""
    lines = provenance_bullets(metric_rows)
    lines.append(f"- seeds {', '.join(map(str, seeds))}; profile {profile}; machine: {machine}")
    return "*Provenance:*\n\n" + "\n".join(lines)


def provenance_bullets(metric_rows):
    """One Markdown bullet per feature extractor, naming the metrics computed on it, its weights,
    sample counts, real split and resizing; one per set of test splits that classifier accuracies
    were scored on."""
    by_extractor = {}
    other = set()
    scored = {}  # metric -> splits it was scored on
    for row in metric_rows:
        prov = row["provenance"]
        prov = json.loads(prov) if isinstance(prov, str) else prov
        if "extractor" in prov:
            # Keyed by weights too: a network retrained elsewhere is another network.
            entry = by_extractor.setdefault((prov["extractor"], prov["weights_sha256"]),
                                            {"metrics": set(), "samples": set(), "facts": {},
                                             "models": set()})
            entry["metrics"].add(row["metric"])
            entry["models"].add(row.get("model", ""))
            entry["facts"]["sha256"] = prov["weights_sha256"]
            entry["facts"]["resize"] = prov["resize"]
            if "extractor_test_accuracy" in prov:
                entry["facts"]["test accuracy"] = f"{prov['extractor_test_accuracy']:.4f}"
            if "n_real" in prov:
                entry["samples"].add(f"{prov['n_fake']} generated vs {prov['n_real']} real from "
                                     f"{prov['real_split']}")
            if "held_out_split" in prov:
                entry["samples"].add(f"memorization's held-out images: {prov['held_out_split']}")
        elif "rule" in prov:
            other.add(f"{prov['n_fake']} generated points per run; {prov['rule']}")
        elif "split" in prov:  # a classifier's own accuracy (ssl, transfer, adaptation)
            scored.setdefault(row["metric"], set()).add(
                prov["split"] + (f" by `{prov['network']}`" if "network" in prov else ""))
    lines = []
    versions = Counter(name for name, _ in by_extractor)
    for (name, _), entry in sorted(by_extractor.items()):
        metrics = ", ".join(sorted(entry["metrics"], key=metric_sort_key))
        facts = entry["facts"]
        accuracy = f", test accuracy {facts['test accuracy']}" if "test accuracy" in facts else ""
        which = (f" for {', '.join(sorted(entry['models']))}" if versions[name] > 1 else "")
        lines.append(f"- {metrics}{which} on `{name}` "
                     f"(weights sha256 {facts['sha256']}{accuracy}): "
                     f"{'; '.join(sorted(entry['samples']))}; resize: {facts['resize']}")
    lines += [f"- {text}" for text in sorted(other)]
    by_splits = {}
    for metric, splits in scored.items():
        by_splits.setdefault(tuple(sorted(splits)), []).append(metric)
    lines += [f"- {', '.join(sorted(metrics, key=metric_sort_key))} scored on "
              f"{'; '.join(merge_data_seeds(splits))}"
              for splits, metrics in sorted(by_splits.items())]
    return lines


DATA_SEED = re.compile(r"data seed (\d+)")
SEEDS_SLOT = "data seed <seeds>"


def merge_data_seeds(splits):
    """``splits`` with those that differ only in their data seed said once, naming the seeds
    ("data seeds 1000-1002"), so that three seeds' splits are one clause, not three."""
    seeds = {}  # the split with its seed replaced by SEEDS_SLOT -> its seeds
    for split in splits:
        found = DATA_SEED.search(split)
        seeds.setdefault(DATA_SEED.sub(SEEDS_SLOT, split), []).extend(
            [int(found.group(1))] if found else [])
    merged = []
    for key, numbers in seeds.items():
        numbers.sort()
        if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
            listed = f"{numbers[0]}-{numbers[-1]}"
        else:
            listed = ", ".join(map(str, numbers))
        merged.append(key.replace(SEEDS_SLOT, f"data seed{'s' * (len(numbers) > 1)} {listed}"))
    return merged
