"""Leaderboards from stored results: the long-format CSV, Markdown tables, figure links.

Inputs are plain rows (dicts) so this module needs no database: one row per
(run, setting, metric) with the run's identity, the value and its provenance.
"""

from __future__ import annotations

import json
import math

import pandas as pd

KEYS = ["suite", "task", "model", "dataset", "setting", "profile", "metric"]
CSV_COLUMNS = KEYS + ["mean", "std", "n_seeds", "unit"]

# Column order of the leaderboard tables; metrics not listed come after, alphabetically.
METRIC_ORDER = ["modes_covered", "hq_share", "mode_kl", "fid", "kid", "cfid", "ckid", "is", "cis",
                "classes_covered", "class_kl", "precision", "recall", "density", "coverage",
                "c2st_acc", "memorization", "path_smoothness", "accuracy", "error_pct",
                "label_preservation", "train_seconds", "train_img_per_s", "sample_img_per_s"]
COST_METRICS = {"train_seconds", "train_img_per_s", "sample_img_per_s"}
LOWER_IS_BETTER = {"fid", "kid", "cfid", "ckid", "mode_kl", "class_kl", "memorization", "error_pct",
                   "path_smoothness", "train_seconds"}


def summarize(metric_rows):
    """Long format: mean and sample std (ddof=1; empty for one seed) over seeds."""
    if not metric_rows:
        return pd.DataFrame(columns=CSV_COLUMNS)
    frame = pd.DataFrame(metric_rows)
    grouped = frame.groupby(KEYS, sort=False)
    summary = grouped["value"].agg(mean="mean", std="std", n_seeds="count").reset_index()
    summary["unit"] = grouped["unit"].first().values
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


def direction(metric):
    """Which way is better, for the table header."""
    if metric == "c2st_acc":
        return "(0.5 best)"
    return "↓" if metric in LOWER_IS_BETTER else "↑"


def metric_sort_key(metric):
    return (METRIC_ORDER.index(metric), metric) if metric in METRIC_ORDER else (len(METRIC_ORDER), metric)


def markdown_table(summary, metrics, row_keys=("model", "dataset", "setting")):
    """One Markdown table: a row per ``row_keys`` combination, a column per metric (mean ± std)."""
    row_keys = [k for k in row_keys if summary[k].astype(str).str.len().gt(0).any()]
    rows = summary[summary["metric"].isin(metrics)]
    header = list(row_keys) + [f"{m} {direction(m)}" for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, group in rows.groupby(list(row_keys), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        values = {r.metric: format_value(r.mean, r.std) for r in group.itertuples()}
        lines.append("| " + " | ".join(list(map(str, key)) + [values.get(m, "–") for m in metrics]) + " |")
    return "\n".join(lines)


def provenance_line(metric_rows, seeds, profile, machine):
    """Which extractors (and weights), sample counts, real split and resizing made the scores."""
    parts = {}
    for row in metric_rows:
        prov = json.loads(row["provenance"]) if isinstance(row["provenance"], str) else row["provenance"]
        if "extractor" in prov:
            name = f"{prov['extractor']} (sha256 {prov['weights_sha256']}"
            if "extractor_test_accuracy" in prov:
                name += f", test acc {prov['extractor_test_accuracy']:.4f}"
            parts.setdefault("extractors", set()).add(name + ")")
            parts.setdefault("resize", set()).add(prov["resize"])
            if "n_real" in prov:
                parts.setdefault("samples", set()).add(
                    f"{prov['n_fake']} generated vs {prov['n_real']} real ({prov['real_split']} split)")
        elif "modes" in prov:
            parts.setdefault("samples", set()).add(f"{prov['n_fake']} generated points; {prov['rule']}")
    text = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in parts.items())
    return f"*Provenance:* {text}; seeds: {seeds}; profile: {profile}; machine: {machine}."
