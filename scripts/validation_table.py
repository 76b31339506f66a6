"""Compare candidate recipes on validation scores only (issue 24's protocol).

Run each candidate on the tuning seeds into one results folder, e.g.

    python -m genbench run --suite transfer --model finetune_all --first-seed 100 --seeds 2 \
        --out runs/tuning/transfer --set train.finetune_lr=3e-4

and the same with the other values; then

    python scripts/validation_table.py runs/tuning/transfer

prints, per task, model and dataset, one row per candidate (the config values that differ
between candidates) with the mean over seeds of each validation score and each generation score
against the train reference, per setting. Test-split scores are never printed: the final scores
of the chosen recipe come from the reported seeds (1000, ...), run once it is frozen.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

# Scores a choice may be made on: validation splits, and generation scored against train images.
SELECTION_METRICS = ("val_accuracy", "source_val_accuracy", "reverse_val_accuracy",
                     "val_label_preservation", "fid", "fid_inf", "cfid", "cfid_inf")


def _flat(value, prefix=""):
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{prefix}{key}.")
                .items()}
    return {prefix.rstrip("."): json.dumps(value)}


def _natural(text):
    """Sort key that orders "labels=5%" before "labels=10%"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


class Score(NamedTuple):
    config_hash: str
    seed: int
    task: str
    model: str
    dataset: str
    config: dict
    environment: dict
    setting: str
    metric: str
    value: float


def _selectable(metric, provenance):
    """Whether a choice may read this score: a validation score, or a generation score against
    train images (one against test images is not for choosing)."""
    if metric in ("fid", "fid_inf", "cfid", "cfid_inf"):
        return json.loads(provenance).get("real_split", "").startswith("train")
    return metric in SELECTION_METRICS


def selection_scores(db, also=()):
    """The Scores of finished runs that a choice may use (``SELECTION_METRICS``, generation only
    against train images), and every score named in ``also``."""
    query = ("SELECT r.config_hash, r.seed, r.task, r.model, r.dataset, r.config, r.environment, "
             "m.setting, m.metric, m.value, m.provenance FROM runs r JOIN metrics m "
             "ON m.run_id = r.id WHERE r.status = 'done'")
    for *run, config, environment, setting, metric, value, provenance in db.execute(query):
        if metric not in also and not _selectable(metric, provenance):
            continue
        yield Score(*run, json.loads(config), json.loads(environment or "{}"), setting, metric,
                    value)


def open_store(parser, out):
    """The results store of folder ``out``, or the parser's exit with one line if it has none."""
    path = Path(out) / "results.sqlite"
    if not path.exists():
        parser.exit(2, f"no results store at {path}\n")
    return sqlite3.connect(path)


def _rows(db):
    """(task, model, dataset) -> config hash -> {"config", "seeds", (setting, metric): [values]}."""
    groups = defaultdict(dict)
    for score in selection_scores(db):
        entry = groups[(score.task, score.model, score.dataset)].setdefault(
            score.config_hash, {"config": _flat(score.config), "seeds": set(),
                                "values": defaultdict(list)})
        entry["seeds"].add(score.seed)
        entry["values"][(score.setting, score.metric)].append(score.value)
    return groups


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="results folder of the tuning runs")
    args = parser.parse_args(argv)
    with open_store(parser, args.out) as db:
        groups = _rows(db)
    for (task, model, dataset), candidates in sorted(groups.items()):
        configs = [entry["config"] for entry in candidates.values()]
        differing = sorted(k for k in set().union(*configs)
                           if len({c.get(k) for c in configs}) > 1 and k != "protocol")
        print(f"\n{task} {model} {dataset}")
        for entry in candidates.values():
            label = ", ".join(f"{k}={entry['config'].get(k)}" for k in differing) or "(one)"
            means = {key: sum(v) / len(v) for key, v in entry["values"].items()}
            print(f"  {label} [seeds {sorted(entry['seeds'])}]")
            for metric in sorted({metric for _, metric in means}):
                cells = {setting: value for (setting, name), value in means.items()
                         if name == metric}
                overall = sum(cells.values()) / len(cells)
                detail = "; ".join(f"{setting} {value:.4f}" for setting, value
                                   in sorted(cells.items(), key=lambda c: _natural(c[0])))
                print(f"    {metric}: mean {overall:.4f}" + (f" ({detail})" if detail.strip()
                                                             and len(cells) > 1 else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
