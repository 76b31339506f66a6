"""Quality parity of a 16-bit precision with float32 (issue 22), on selection scores only.

Run the same models at both precisions on the tuning seeds into one results folder, e.g.

    python -m genbench run --suite gan --model dcgan --dataset mnist --first-seed 100 --seeds 3 \
        --out runs/parity --precision float32        # and again with --precision bfloat16

then

    python scripts/precision_parity.py runs/parity > reports/precision_parity.md

writes, per model, dataset and setting, each score a choice may use (validation splits, and
generation against the train reference: ``validation_table.selection_scores``) at both
precisions as mean ± std over seeds, and whether the 16-bit mean lies within two float32 seed
standard deviations of the float32 mean, plus the training time of each. No test-split score is
read: which precision ``--precision auto`` may pick is a choice like any other.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

from validation_table import open_store, selection_scores

BASELINE = "float32"
TIME_METRIC = "train_seconds"
STEPS_METRIC = "train_steps"
# Runs that stop early on validation train different step counts: their speed is per step.
STEP_TIME_METRIC = "seconds_per_step"
HEADER = ("| task | model | dataset | setting | metric | float32 | 16-bit | precision | Δ | "
          "within 2σ of float32 |", "|---|---|---|---|---|---|---|---|---|---|")


def _values(db):
    """(task, model, dataset, setting, metric) -> precision -> {seed: value}, and the machines."""
    values = defaultdict(lambda: defaultdict(dict))
    machines = set()
    for score in selection_scores(db, also=(TIME_METRIC, STEPS_METRIC)):
        precision = score.config.get("precision", BASELINE)
        key = (score.task, score.model, score.dataset, score.setting, score.metric)
        values[key][precision][score.seed] = score.value
        cpu = score.environment.get("cpu", "unknown CPU")
        threads = score.environment.get("threads_per_run", "TensorFlow's default")
        machines.add(f"{cpu}, TensorFlow threads a run: {threads}")
    for key in [key for key in values if key[-1] == STEPS_METRIC]:
        steps = values.pop(key)
        seconds = values.get(key[:-1] + (TIME_METRIC,), {})
        if all(steps[p].keys() == seconds.get(p, {}).keys() for p in steps):
            values.pop(key[:-1] + (TIME_METRIC,))
            values[key[:-1] + (STEP_TIME_METRIC,)] = {
                p: {seed: seconds[p][seed] / steps[p][seed] for seed in steps[p]} for p in steps}
    return values, machines


def _summary(by_seed):
    points = list(by_seed.values())
    return statistics.fmean(points), statistics.stdev(points) if len(points) > 1 else float("nan")


def _cell(mean, std, n):
    return f"{mean:.4g} ± {std:.2g} ({n})"


def table(values):
    """Markdown lines: one row per (row, metric, 16-bit precision) that has both precisions."""
    lines = list(HEADER)
    verdicts = []
    for (task, model, dataset, setting, metric), by_precision in sorted(values.items()):
        if BASELINE not in by_precision:
            continue
        base_mean, base_std = _summary(by_precision[BASELINE])
        for precision, by_seed in sorted(by_precision.items()):
            if precision == BASELINE:
                continue
            mean, std = _summary(by_seed)
            delta = mean - base_mean
            if metric in (TIME_METRIC, STEP_TIME_METRIC):
                verdict = f"{base_mean / mean:.2f}x the float32 speed" if mean else "—"
            elif len(by_precision[BASELINE]) < 2:
                verdict = "— (one float32 seed: no spread to compare with)"
            else:
                within = abs(delta) <= 2 * base_std
                verdicts.append(within)
                verdict = "yes" if within else "**no**"
            lines.append(f"| {task} | {model} | {dataset} | {setting or '—'} | {metric} | "
                         f"{_cell(base_mean, base_std, len(by_precision[BASELINE]))} | "
                         f"{_cell(mean, std, len(by_seed))} | {precision} | {delta:+.3g} | "
                         f"{verdict} |")
    return lines, verdicts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="results folder holding runs at both precisions")
    args = parser.parse_args(argv)
    with open_store(parser, args.out) as db:
        values, machines = _values(db)
    lines, verdicts = table(values)
    if len(lines) == len(HEADER):
        parser.exit(1, f"no row of {args.out} has scores at float32 and at a 16-bit precision\n")
    print("# Mixed-precision quality parity\n")
    print(f"Machine: {', '.join(sorted(machines))}. Runs of `{args.out}` (tuning seeds), "
          "selection scores only (validation splits; generation against the train reference). "
          "A 16-bit mean within two float32 seed standard deviations of the float32 mean "
          f"passes: {sum(verdicts)} of {len(verdicts)} do. `{TIME_METRIC}` is wall time of "
          f"training, compared as a ratio; `{STEP_TIME_METRIC}` is that time over the steps "
          "trained, for models that stop early on validation and so train different step "
          "counts.\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
