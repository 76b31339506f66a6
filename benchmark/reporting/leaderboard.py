"""Writes ``results.csv``, ``leaderboard.md`` and ``figures/`` from the results store."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ...evaluation.plots import save_metric_vs_setting
from ..config import PROTOCOL
from ..environment import machine_summary
from ..suites import FALLBACKS, REAL_DATA, REAL_DATA_LABEL, SUITES, is_external
from .references import reference_table
from .tables import (
    COST_METRICS,
    ROW_KEYS,
    direction,
    markdown_table,
    metric_sort_key,
    provenance_line,
    ratio_table,
    summarize,
    with_cells,
)

FIGURES = {"samples": "samples", "latent_walk": "latent walk", "curves": "training losses",
           "class_walks": "class-mean walks (row: class k to k+1)",
           "grid_a2b": "a2b input / translated / reconstructed",
           "grid_b2a": "b2a input / translated / reconstructed",
           "denoising": "denoising strip (noise to sample, left to right)",
           "reconstructions": "VAE reconstructions (rows: real, decoded)",
           "vae_curves": "VAE losses",
           "dann_curves": "DANN losses (after the CycleGAN)"}
# Plotted against a numeric setting ("labels=100") per model and dataset wherever a section has one,
# and tabled as model x setting.
SETTING_PLOT_METRIC = "accuracy"
SETTING_TABLE_METRIC = "error_pct"
NUMERIC_SETTING = re.compile(r"(?:(.*), )?(\w+)=(\d+(?:\.\d+)?)(%?)")
# Views across suites: (title, tasks, metrics); rows are those with the first metric.
OVERVIEWS = [("Image generation: GANs and diffusion side by side", ("generation", "diffusion"),
              ("classes_covered", "fid", "fid_inf", "cfid", "cfid_inf", "cas", "train_seconds",
               "sample_img_per_s"))]
# (model, reference model, cost metrics): reported as ratios wherever both ran in one section.
COST_RATIOS = [("ldm", "ddpm", ("train_step_ms", "sample_ms_per_img", "train_seconds"))]


def _copy_figures(store, runs, out_dir):
    """Figures of the lowest seed per (suite, task, model, dataset, setting, profile) ->
    figures/."""
    figures_dir = Path(out_dir) / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    chosen = {}
    for run in sorted(runs, key=lambda r: r["seed"]):
        chosen.setdefault(tuple(run[k] for k in ROW_KEYS), run)
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
            link = f"[{FIGURES[kind]} (seed {run['seed']})](figures/{name})"
            links.setdefault(key, []).append(link)
    return links


def _numeric_settings(part, metric):
    """Rows of ``metric`` whose setting is "[prefix, ]name=N[%]", with columns x (N), column
    ("name=N[%]"), panel (dataset and prefix) and axis ("name" or "name (%)"); None unless there are
    two or more such settings."""
    rows = part[part["metric"] == metric]
    parsed = rows["setting"].str.extract(f"^{NUMERIC_SETTING.pattern}$")
    rows, parsed = rows[parsed[2].notna()], parsed[parsed[2].notna()]
    if rows["setting"].nunique() < 2:
        return None
    panels = rows["dataset"] + parsed[0].fillna("").map(
        lambda prefix: f" ({prefix})" if prefix else "")
    return rows.assign(x=parsed[2].astype(float), column=parsed[1] + "=" + parsed[2] + parsed[3],
                       panel=panels,
                       axis=parsed[1] + parsed[3].map({"%": " (%)", "": ""}))


def _setting_plot(part, title, path):
    """``SETTING_PLOT_METRIC`` against the number in numeric settings (log x), one panel per dataset
    and prefix, one line per model; returns whether anything was drawn."""
    rows = _numeric_settings(part, SETTING_PLOT_METRIC)
    if rows is None:
        return False
    series = {}
    for (panel, model), group in rows.groupby(["panel", "model"], sort=False):
        series.setdefault(panel, {})[model] = (group["x"].to_numpy(), group["mean"].to_numpy(),
                                               group["std"].to_numpy(dtype=float))
    save_metric_vs_setting(series, path, title, SETTING_PLOT_METRIC, rows["axis"].iloc[0])
    return True


def _setting_tables(part):
    """``SETTING_TABLE_METRIC`` as one table per panel (dataset and prefix): a row per model, a
    column per numeric setting, "–" where a model has no result yet."""
    rows = _numeric_settings(part, SETTING_TABLE_METRIC)
    if rows is None:
        return []
    lines = []
    for panel, group in rows.groupby("panel", sort=False):
        columns = group.sort_values("x")["column"].unique()
        cells = {(r.model, r.column): r.cell for r in with_cells(group).itertuples()}
        header = ["model", *columns]
        lines += [f"{SETTING_TABLE_METRIC} {direction(SETTING_TABLE_METRIC)} on {panel}:", "",
                  "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join([model] + [cells.get((model, x), "–") for x in columns]) + " |"
                  for model in group["model"].unique()]
        lines.append("")
    return lines


def _sample_counts(metric_rows, labels):
    """(profile, model, dataset, setting, metric) -> the set of (n_fake, n_real, real subset,
    (extractor, weights sha256)) that the metric's scores of generated against real images were
    computed at, over seeds."""
    counts = {}
    for row in metric_rows:
        prov = row["provenance"]
        prov = json.loads(prov) if isinstance(prov, str) else prov
        if "n_real" in prov:
            key = (row["profile"], labels.get(row["model"], row["model"]), row["dataset"],
                   row["setting"], row["metric"])
            counts.setdefault(key, set()).add((prov["n_fake"], prov["n_real"], prov["real_split"],
                                               (prov.get("extractor"), prov.get("weights_sha256"))))
    return counts


def _overviews(summary, sample_counts):
    """The ``OVERVIEWS`` tables, per profile one for each sample count and set of networks at
    which some rows (of their tasks) computed every score (e.g. 2048 vs 10,000 for the digits,
    5,000 vs 50,000 for CIFAR-10), so that no table sets side by side scores at different counts
    or on other weights of a network (a domain classifier trained again); the other rows are named
    below the tables."""
    lines = []
    for title, tasks, metrics in OVERVIEWS:
        part = summary[summary["task"].isin(tasks)]
        for profile, rows in part.groupby("profile", sort=False):
            keys = rows[rows["metric"] == metrics[0]][["model", "dataset", "setting"]]
            conditions = {key: set().union(*(sample_counts.get((profile, *key, m), set())
                                             for m in metrics))
                          for key in keys.drop_duplicates().itertuples(index=False, name=None)}
            if conditions:
                lines += _overview(f"{title} ({profile} profile", metrics, rows,
                                   {key: _comparable(c) for key, c in conditions.items()})
    return lines


def _comparable(conditions):
    """((n_fake, n_real, real subset), frozenset of (extractor, weights)) of a row whose scores
    share one sample count and one version of each network, else ("mixed", what differs)."""
    counts = {condition[:3] for condition in conditions}
    networks = frozenset(condition[3] for condition in conditions)
    names = Counter(name for name, _ in networks)
    if len(counts) > 1:
        return ("mixed", "; ".join(f"{n_fake} vs {n_real}" for n_fake, n_real, _ in sorted(counts)))
    if max(names.values(), default=1) > 1:
        return ("mixed", "; ".join(f"`{name}` weights {weights}" for name, weights in
                                   sorted(networks, key=str) if names[name] > 1))
    return (next(iter(counts)), networks)


def _overview(title, metrics, rows, comparable):
    """One overview table per sample count of ``comparable`` and version: the rows of a dataset
    scored on its most used weights of each network in the first, those on other weights (a
    domain classifier trained again) in the next; the most rows first, then the larger count."""
    placed = {}  # row key -> (count, rank of its networks among its dataset's at that count)
    versions = {}  # (count, dataset) -> networks, most used first
    for (_, dataset, _), c in comparable.items():
        if c[0] != "mixed":
            versions.setdefault((c[0], dataset), Counter())[c[1]] += 1
    versions = {key: sorted(used, key=lambda n: (-used[n], sorted(n, key=str)))
                for key, used in versions.items()}
    for key, c in comparable.items():
        if c[0] != "mixed":
            placed[key] = (c[0], versions[(c[0], key[1])].index(c[1]))
    if not placed:
        return [f"## {title})", "", "No row has all its scores at one sample count and on one "
                "version of each network.", "", *_left_out(comparable)]
    single = Counter(placed.values())
    lines = []
    for common in sorted(single, key=lambda c: (c[1], -single[c], -c[0][0], -c[0][1])):
        kept = [key for key, c in placed.items() if c == common]
        table_rows = rows.merge(pd.DataFrame(kept, columns=["model", "dataset", "setting"]),
                                on=["model", "dataset", "setting"])
        shown = [m for m in metrics if m in set(table_rows["metric"])]
        (n_fake, n_real, real_split), rank = common
        retrained = sorted({(dataset, networks[rank]) for (count, dataset), networks
                            in versions.items() if count == common[0] and len(networks) > 1
                            and rank < len(networks)}, key=str)
        weights = ("" if not retrained else " On " + "; ".join(
            f"{dataset}, its rows here were scored on " + ", ".join(
                f"`{name}` (weights sha256 {sha})" for name, sha in sorted(networks, key=str))
            for dataset, networks in retrained)
            + ": rows scored on other weights of a network are in a table of their own.")
        lines += [f"## {title}, {n_fake} generated vs {n_real} real images)", "",
                  "Each value is repeated from its section below. Every score of generated "
                  f"against real images here was computed from {n_fake} generated samples and "
                  f"{n_real} real images ({real_split}); rows at other counts are in a table of "
                  f"their own, since Fréchet distances grow as the sample count falls.{weights}",
                  "", markdown_table(table_rows.sort_values(["dataset"], kind="stable"), shown), ""]
    return lines + _left_out(comparable)


def _left_out(comparable):
    """A line naming the rows of an overview whose scores mix sample counts or network weights."""
    mixed = [f"{model} on {dataset}{f' ({setting})' if setting else ''} ({c[1]})"
             for (model, dataset, setting), c in comparable.items() if c[0] == "mixed"]
    return [f"Left out, not all scores at one sample count and on one version of each network: "
            f"{', '.join(mixed)}.", ""] if mixed else []


def _current_configs(runs):
    """Row key (suite, task, model, dataset, setting, profile) -> config hash of its newest finished
    run: the leaderboard averages only runs of one configuration (older ones stay in the store)."""
    current = {}
    finished = (r for r in runs if r["status"] in ("done", "diverged"))
    for run in sorted(finished, key=lambda r: r["finished"]):
        current[tuple(run[k] for k in ROW_KEYS)] = run["config_hash"]
    return current


def _in_suite_order(metric_rows):
    """``metric_rows`` sorted as the suites list their tasks, so that sections and tables keep one
    order however the runs were scheduled or rerun. A setting the task adds itself (transfer's label
    fractions) sorts with its model and dataset; rows no suite lists (a user's pair) come last; ties
    keep their stored order."""
    positions = {}
    specs = [(suite, spec) for suite, specs in SUITES.items() for spec in specs]
    for index, (suite, spec) in enumerate(specs):
        for dataset in (spec.dataset, FALLBACKS.get(spec.dataset)):  # either copy, same place
            positions.setdefault((suite, spec.task, spec.model, dataset, spec.setting), index)
            positions.setdefault((suite, spec.task, spec.model, dataset), index)

    def position(row):
        key = (row["suite"], row["task"], row.get("model_name", row["model"]), row["dataset"])
        return positions.get((*key, row["setting"]), positions.get(key, len(positions)))
    return sorted(metric_rows, key=position)


def _precision_labels(runs):
    """Run id -> model label: a run trained at another precision than float32 names it beside its
    model ("dcgan (bfloat16)"), so that it gets rows of its own next to the float32 ones."""
    labels = {}
    for run in runs:
        precision = json.loads(run["config"]).get("precision", "float32")
        labels[run["id"]] = run["model"] + ("" if precision == "float32" else f" ({precision})")
    return labels


def write_reports(store, out_dir):
    """``results.csv``, ``leaderboard.md`` and ``figures/`` in ``out_dir``, from the runs of each
    row's current configuration in ``store``."""
    out = Path(out_dir)
    runs, metric_rows = _current_rows(store)
    summary = summarize(metric_rows)
    summary.to_csv(out / "results.csv", index=False, float_format="%.6g")
    # The leaderboard marks a user's model (trained by the suite, or samples scored by `score`) and
    # names the real-data floor; results.csv keeps the names the runs were stored with.
    labels = {r["model"]: f"{r['model']} (external)" for r in runs if is_external(r["model_name"])}
    labels.update({r["model"]: REAL_DATA_LABEL + r["model"].removeprefix(REAL_DATA) for r in runs
                   if r["model_name"] == REAL_DATA})
    summary["model"] = summary["model"].replace(labels)
    done = [r for r in runs if r["status"] == "done"]
    # Each row's runs share one stored configuration (_current_rows); keyed as the rows are shown.
    shown = ({**r, "model": labels.get(r["model"], r["model"])} for r in done)
    configs = {tuple(r[k] for k in ROW_KEYS): json.loads(r["config"]) for r in shown}
    report = _Report(out, done, metric_rows, labels, _copy_figures(store, done, out), configs)
    lines = ["# Leaderboard", "",
             "Built from `results.csv` (long format: one row per suite, task, model, dataset, "
             "setting, profile and metric; mean ± sample std over seeds, and the config hash they "
             "ran, to quote with a number: README, Citing a number; \"(n=k)\" marks a cell of "
             "k seeds in a table whose other cells have more or fewer). Rebuild with "
             "`python -m genbench report`.", ""]
    lines += _wall_time(runs) + _older_protocol(store)
    lines += _overviews(summary, _sample_counts(metric_rows, labels))
    for key, part in summary.groupby(["suite", "task", "profile"], sort=False):
        lines += _section(key, part, report)
    lines += _unfinished([r for r in runs if r["status"] in ("diverged", "failed")], labels)
    (out / "leaderboard.md").write_text("\n".join(lines))


def _protocol(run):
    return json.loads(run["config"]).get("protocol", 1)  # runs from before it was recorded: 1


def _wall_time(runs):
    """The line giving the summed wall time of the finished runs shown, per suite."""
    finished = [r for r in runs if r["status"] in ("done", "diverged") and r["wall_seconds"]]
    if not finished:
        return []
    per_suite = Counter()
    for run in finished:
        per_suite[run["suite"]] += run["wall_seconds"]
    parts = ", ".join(f"{suite} {seconds / 3600:.2f} h" for suite, seconds in per_suite.items())
    return [f"Wall time of the {len(finished)} runs shown: {sum(per_suite.values()) / 3600:.2f} h "
            f"({parts}; each run's own wall time, summed: runs of `--jobs 2` overlap, and the "
            "machines are in each section's provenance line).", ""]


def _older_protocol(store):
    """A line counting stored runs of an earlier protocol, which the leaderboard leaves out."""
    older = [r for r in store.runs() if _protocol(r) != PROTOCOL]
    if not older:
        return []
    return [f"{len(older)} stored runs of an earlier protocol are left out (this is protocol "
            f"{PROTOCOL}: README, Protocol); `reports/archive/` keeps the protocol-1 leaderboard.",
            ""]


def _current_rows(store):
    """(runs, metric rows) of each row's current configuration under the current protocol, models
    labelled by precision."""
    runs = [dict(run) for run in store.runs() if _protocol(run) == PROTOCOL]
    models = _precision_labels(runs)
    for run in runs:
        run["model_name"], run["model"] = run["model"], models[run["id"]]
    current = _current_configs(runs)
    runs = [r for r in runs
            if current.get(tuple(r[k] for k in ROW_KEYS), r["config_hash"]) == r["config_hash"]]
    kept = {r["id"] for r in runs}
    metric_rows = _in_suite_order([
        {**row, "model_name": row["model"], "model": models[row["run_id"]]}
        for row in store.metrics() if row["run_id"] in kept])
    return runs, metric_rows


@dataclass(frozen=True)
class _Report:
    """What every section of the leaderboard draws on."""

    out: Path
    done: list        # finished runs
    metric_rows: list
    labels: dict      # stored model name -> shown name
    links: dict       # row key -> figure links
    configs: dict     # row key (as shown) -> the stored configuration of its runs


def _section(key, part, report):
    """The lines of one (suite, task, profile) section: a quality and a cost table per kind of
    data, cost ratios, setting tables, published references, the setting plot, figure links."""
    suite, task, profile = key
    env = json.loads(next(r for r in report.done
                          if (r["suite"], r["task"], r["profile"]) == key)["environment"])
    lines = [f"## {suite} / {task} ({profile} profile)", ""]
    # One table per kind of data: datasets that share the same quality metrics.
    metric_sets = part.groupby("dataset")["metric"].apply(
        lambda m: tuple(sorted(set(m) - COST_METRICS)))
    for quality in dict.fromkeys(metric_sets.values):
        datasets = [d for d, m in metric_sets.items() if m == quality]
        table = part[part["dataset"].isin(datasets)]
        rows = [r for r in report.metric_rows
                if (r["suite"], r["task"], r["profile"]) == key and r["dataset"] in datasets]
        seeds = sorted({r["seed"] for r in rows})
        cost = sorted(COST_METRICS & set(table["metric"]), key=metric_sort_key)
        lines += [markdown_table(table, sorted(quality, key=metric_sort_key)), "",
                  markdown_table(table, cost), "",
                  provenance_line(rows, seeds, profile, machine_summary(env)), ""]
    lines += _without_inception_score(part)
    for model, reference, metrics in COST_RATIOS:
        if {model, reference} <= set(part["model"]):
            lines += [f"Cost of {model} relative to {reference} (ratio of seed means):", "",
                      ratio_table(part, model, reference, metrics), ""]
    lines += _setting_tables(part)
    references = reference_table(part, task, report.configs)
    if references:
        lines += ["Published reference values (Δ = ours - paper, only where no protocol field "
                  "differs):", "", references, ""]
    plot_name = re.sub(r"[^A-Za-z0-9_.-]+", "-",
                       f"{suite}_{task}_{profile}_{SETTING_PLOT_METRIC}.png")
    title = f"{suite} / {task} ({profile} profile)"
    if _setting_plot(part, title, report.out / "figures" / plot_name):
        lines += [f"![{SETTING_PLOT_METRIC} against setting](figures/{plot_name})", ""]
    figure_lines = [f"- {report.labels.get(m, m)} on {dataset}"
                    f"{f' ({setting})' if setting else ''}: " + ", ".join(items)
                    for (s, t, m, dataset, setting, p), items in report.links.items()
                    if (s, t, p) == key]
    return lines + (["Figures:", "", *figure_lines, ""] if figure_lines else [])


def _without_inception_score(part):
    """A line naming the datasets whose rows have fid but no is: scoring skips the Inception Score
    only where Keras' ImageNet InceptionV3 weights are not on the machine (offline)."""
    metrics = part.groupby("dataset", sort=False)["metric"].apply(set)
    missing = [dataset for dataset, names in metrics.items()
               if "fid" in names and "is" not in names]
    if not missing:
        return []
    return [f"No `is` on {', '.join(missing)}: the Inception Score needs Keras' ImageNet "
            "InceptionV3 weights, which the machine of these runs did not have (they download on "
            "first use; the FID Inception port has no class logits), so scoring skipped it.", ""]


def _unfinished(problems, labels):
    """The table of diverged and failed runs, if any."""
    if not problems:
        return []
    rows = [f"| {labels.get(r['model'], r['model'])} {r['dataset']} {r['setting']} "
            f"({r['profile']}) | {r['seed']} | {r['status']} | {r['reason']} |" for r in problems]
    return ["## Runs that did not finish", "", "| run | seed | status | reason |",
            "|---|---|---|---|", *rows, ""]
