"""Time the Fréchet distance route of ``evaluation`` against the classic ``scipy.linalg.sqrtm`` formula.

Two seeded 2048-d Gaussian samples of 10,000 each (different covariances) go
through both routes from the same means and covariances; the script prints the
two times (covariance computation excluded, it is shared), their ratio and the
relative difference of the two values, plus the time of ``frechet_distance``
from features. ``--out FILE`` appends these figures as one JSON line.

    python benchmarks/frechet_speed.py [--out reports/frechet_speed.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import scipy.linalg

from evaluation import frechet_distance, frechet_distance_from_moments


def sqrtm_frechet(mu_a, cov_a, mu_b, cov_b) -> float:
    diff = mu_a - mu_b
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="append the figures as a JSON line to this file")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    mixing = np.eye(args.dim) + rng.normal(scale=0.5 / np.sqrt(args.dim), size=(args.dim, args.dim))
    a = rng.normal(size=(args.samples, args.dim))
    b = rng.normal(size=(args.samples, args.dim)) @ mixing + 0.1
    moments = (a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))

    eig_value, eig_seconds = timed(frechet_distance_from_moments, *moments)
    sqrtm_value, sqrtm_seconds = timed(sqrtm_frechet, *moments)
    _, features_seconds = timed(frechet_distance, a, b)
    figures = {
        "samples": args.samples,
        "dim": args.dim,
        "seed": args.seed,
        "eigvalsh_seconds": round(eig_seconds, 3),
        "sqrtm_seconds": round(sqrtm_seconds, 3),
        "speedup": round(sqrtm_seconds / eig_seconds, 2),
        "eigvalsh_fid": eig_value,
        "sqrtm_fid": sqrtm_value,
        "relative_difference": abs(eig_value - sqrtm_value) / abs(sqrtm_value),
        "from_features_seconds": round(features_seconds, 3),
    }
    print(f"eigvalsh route: {eig_seconds:.2f} s  FID {eig_value:.6f}")
    print(f"sqrtm route:    {sqrtm_seconds:.2f} s  FID {sqrtm_value:.6f}")
    print(
        f"speed-up {figures['speedup']}x, relative difference {figures['relative_difference']:.2e}"
    )
    print(f"frechet_distance from features (covariances included): {features_seconds:.2f} s")
    if args.out:
        with open(args.out, "a") as out:
            out.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
