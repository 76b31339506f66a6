"""Writes ``results.csv``, ``leaderboard.md`` and ``figures/`` from the results store."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from benchmark.environment import machine_summary
from evaluation.report import (
    COST_METRICS,
    markdown_table,
    metric_sort_key,
    provenance_line,
    ratio_table,
    summarize,
)

FIGURES = {"samples": "samples", "latent_walk": "latent walk", "curves": "training losses",
           "grid_a2b": "a2b input / translated / reconstructed",
           "grid_b2a": "b2a input / translated / reconstructed",
           "denoising": "denoising strip (noise to sample, left to right)",
           "reconstructions": "VAE reconstructions (rows: real, decoded)", "vae_curves": "VAE losses"}
# (model, reference model, cost metrics): reported as ratios wherever both ran in one section.
COST_RATIOS = [("ldm", "ddpm", ("train_step_ms", "sample_ms_per_img", "train_seconds"))]


def _copy_figures(store, runs, out_dir):
    """Figures of the lowest seed per (suite, task, model, dataset, setting, profile) -> figures/."""
    figures_dir = Path(out_dir) / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    chosen = {}
    for run in sorted(runs, key=lambda r: r["seed"]):
        chosen.setdefault((run["suite"], run["task"], run["model"], run["dataset"], run["setting"], run["profile"]),
                          run)
    links = {}
    for key, run in chosen.items():
        for kind, source in store.artifacts(run["id"]).items():
            if kind not in FIGURES:
                continue
            # ":" of a domain pair ("mnist:usps") is not allowed in Windows file names.
            name = "_".join([part for part in key[1:] if part] + [kind])
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png"
            if Path(source).exists():  # work folders are not committed: keep the earlier copy
                shutil.copyfile(source, figures_dir / name)
            if not (figures_dir / name).exists():
                continue
            links.setdefault(key, []).append(f"[{FIGURES[kind]} (seed {run['seed']})](figures/{name})")
    return links


def write_reports(store, out_dir):
    out = Path(out_dir)
    metric_rows = [dict(row) for row in store.metrics()]
    summary = summarize(metric_rows)
    summary.to_csv(out / "results.csv", index=False, float_format="%.6g")
    runs = store.runs()
    done = [r for r in runs if r["status"] == "done"]
    links = _copy_figures(store, done, out)
    lines = ["# Leaderboard", "",
             "Built from `results.csv` (long format: one row per suite, task, model, dataset, setting, "
             "profile and metric; mean ± sample std over seeds). Rebuild with `python -m benchmark report`.",
             ""]
    for (suite, task, profile), part in summary.groupby(["suite", "task", "profile"], sort=False):
        part_runs = [r for r in done if (r["suite"], r["task"], r["profile"]) == (suite, task, profile)]
        env = json.loads(part_runs[0]["environment"])
        lines += [f"## {suite} / {task} ({profile} profile)", ""]
        # One table per kind of data: datasets that share the same quality metrics.
        metric_sets = part.groupby("dataset")["metric"].apply(lambda m: tuple(sorted(set(m) - COST_METRICS)))
        for quality in dict.fromkeys(metric_sets.values):
            datasets = [d for d, m in metric_sets.items() if m == quality]
            table = part[part["dataset"].isin(datasets)]
            rows = [r for r in metric_rows if (r["suite"], r["task"], r["profile"]) == (suite, task, profile)
                    and r["dataset"] in datasets]
            seeds = sorted({r["seed"] for r in rows})
            lines += [markdown_table(table, sorted(quality, key=metric_sort_key)), "",
                      markdown_table(table, sorted(COST_METRICS & set(table["metric"]), key=metric_sort_key)),
                      "", provenance_line(rows, seeds, profile, machine_summary(env)), ""]
        for model, reference, metrics in COST_RATIOS:
            if {model, reference} <= set(part["model"]):
                lines += [f"Cost of {model} relative to {reference} (ratio of seed means):", "",
                          ratio_table(part, model, reference, metrics), ""]
        figure_lines = [f"- {model} on {dataset}{f' ({setting})' if setting else ''}: " + ", ".join(items)
                        for (s, t, model, dataset, setting, p), items in links.items()
                        if (s, t, p) == (suite, task, profile)]
        if figure_lines:
            lines += ["Figures:", "", *figure_lines, ""]
    problems = [r for r in runs if r["status"] in ("diverged", "failed")]
    if problems:
        lines += ["## Runs that did not finish", "", "| run | seed | status | reason |", "|---|---|---|---|"]
        lines += [f"| {r['model']} {r['dataset']} {r['setting']} ({r['profile']}) | {r['seed']} | "
                  f"{r['status']} | {r['reason']} |" for r in problems]
        lines.append("")
    (out / "leaderboard.md").write_text("\n".join(lines))
