"""Validation accuracy of a domain classifier at a number of steps, for choosing its budget (issue
24's protocol): trains it once (cached, resumable, as the suite would) on the train split less
its recipe's validation images and prints its accuracy on those, reading no test image.

    python scripts/domain_classifier_validation.py cifar10-jpeg 16000

Only datasets whose recipe holds out a validation split (CIFAR-10's colour CNN) can be measured.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from genbench.benchmark.data import get_dataset
from genbench.benchmark.domain_classifier import domain_classifier, held_out
from genbench.benchmark.tasks.common import accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("steps", type=int)
    parser.add_argument("--data-dir", default=os.environ.get("BENCHMARK_DATA_DIR"))
    parser.add_argument("--cache-dir", default=Path.home() / ".cache" / "genbench", type=Path)
    args = parser.parse_args()
    dataset = get_dataset(args.dataset)
    _, validation = held_out(dataset, args.data_dir)
    if not len(validation[0]):
        parser.error(f"the domain classifier of {args.dataset} holds out no validation split")
    started = time.perf_counter()
    model = domain_classifier(args.dataset, args.data_dir, args.cache_dir, args.steps,
                              log=lambda line: print(line, flush=True))
    score = accuracy(model, *validation, tuple(dataset.image_shape))
    print(f"{args.dataset} domain classifier, {args.steps} steps: validation accuracy {score:.4f} "
          f"({len(validation[0])} held-out train images), {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
