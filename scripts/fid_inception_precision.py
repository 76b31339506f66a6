"""FID on the FID Inception network in float32 and in mixed bfloat16, on the same images.

The suite would run the network in bfloat16 only if FID moved by less than 0.1%. Two pairs of
MNIST image sets (N each): train vs test (a small FID) and train vs test with Gaussian pixel noise
(a large one); prints both FIDs per precision, their relative differences and img/s. On a CPU
without bfloat16 units TensorFlow emulates it: the figures hold, the speed does not.

    python scripts/fid_inception_precision.py [--images 1000] [--cache DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from genbench.evaluation.fid import frechet_distance, load_fid_inception

MNIST = os.path.join(os.environ.get("BENCHMARK_DATA_DIR") or "../shared/data", "mnist.npz")


def image_sets(n, seed=0):
    with np.load(MNIST) as data:
        train, test = data["x_train"][:n], data["x_test"][:n]
    noise = np.random.default_rng(seed).normal(0, 40, test.shape)
    noisy = np.clip(test + noise, 0, 255).astype(np.uint8)
    return {"train": train, "test": test, "noisy test": noisy}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/genbench"))
    parser.add_argument("--out")
    args = parser.parse_args()
    images = image_sets(args.images)
    report = {"images": args.images}
    for precision, policy in (("float32", "float32"), ("bfloat16", "mixed_bfloat16")):
        extractor = load_fid_inception(args.cache, dtype=policy)
        started = time.perf_counter()
        features = {name: extractor.features(x) for name, x in images.items()}
        seconds = time.perf_counter() - started
        report[precision] = {
            "img_per_s": sum(map(len, images.values())) / seconds,
            "fid_train_vs_test": frechet_distance(features["train"], features["test"]),
            "fid_train_vs_noisy": frechet_distance(features["train"], features["noisy test"])}
        print(precision, report[precision], flush=True)
    for key in ("fid_train_vs_test", "fid_train_vs_noisy"):
        reference = report["float32"][key]
        report[f"{key}_relative_change"] = (report["bfloat16"][key] - reference) / reference
        print(f"{key}: bfloat16 vs float32 {100 * report[f'{key}_relative_change']:+.2f}%")
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
