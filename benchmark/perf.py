"""``python -m benchmark perf``: where training and scoring time goes, measured in one run.

For the GANs: training img/s through ``fit`` (the suite's path), the same
``train_step`` in a bare ``tf.function`` loop fed by the input pipeline, and the
same loop on one in-memory batch. Their ratios give the framework overhead of
``fit`` and the share of step time spent waiting for input. Sampling img/s, the
feature extractors' img/s and every model's train step in float32 and bfloat16
against the machine's matmul peak (``perf_steps``) complete the picture. Writes ``perf.md`` and
``perf.json`` in the output folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import tensorflow as tf

from ..evaluation import frechet_distance_from_moments
from ..evaluation.extractors import ExtractorUnavailable
from ..evaluation.fid import load_fid_inception
from .data import get_dataset, make_pipeline
from .domain_classifier import domain_extractor
from .environment import environment, machine_summary
from .perf_steps import CASES as STEP_CASES
from .perf_steps import measure_all as measure_steps
from .perf_steps import render as render_steps
from .suites import build_configs
from .tasks.generation import build_model

CASES = [("gan", "gan", "mnist"), ("gan", "dcgan", "mnist")]  # (suite, model, dataset)


def _timed(fn, repeats=3):
    """Best of ``repeats`` wall times (the least disturbed by other processes)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def measure_training(config, data_dir, steps):
    """Training img/s three ways and sampling img/s for one run config's model and batch size."""
    x_train, _ = get_dataset(config.dataset).load("train", data_dir)
    model, _ = build_model(config, x_train.shape[1:], seed=0)
    batch = config.train.batch_size * model.d_steps
    pipeline = make_pipeline(x_train, batch_size=batch, seed=0)
    iterator = iter(pipeline)
    in_memory = next(iterator)
    step = tf.function(model.train_step)

    def loop_in_memory():
        for _ in range(steps):
            out = step(in_memory)
        float(out["d_loss"])

    def loop_pipeline():
        for _ in range(steps):
            out = step(next(iterator))
        float(out["d_loss"])

    def fit():
        model.fit(pipeline, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)

    for warmup in (loop_in_memory, loop_pipeline, fit):
        warmup()
    t_memory, t_pipeline, t_fit = _timed(loop_in_memory), _timed(loop_pipeline), _timed(fit)
    images = steps * batch
    sample_n = 1000
    model.generate(sample_n)
    t_sample = _timed(lambda: model.generate(sample_n))
    return {"model": config.model, "dataset": config.dataset, "batch_size": batch, "steps": steps,
            "fit_img_per_s": images / t_fit, "bare_pipeline_img_per_s": images / t_pipeline,
            "bare_memory_img_per_s": images / t_memory,
            "fit_overhead": t_fit / t_pipeline - 1.0,
            "input_share": max(0.0, 1.0 - t_memory / t_pipeline),
            "sample_img_per_s": sample_n / t_sample}


def measure_extractors(data_dir, cache_dir, classifier_steps, n_classifier=10000, n_inception=200):
    x_test, _ = get_dataset("mnist").load("test", data_dir)
    rows = []
    classifier = domain_extractor("mnist", data_dir, cache_dir, classifier_steps)
    classifier.features(x_test[:1000])
    seconds = _timed(lambda: classifier.features(x_test[:n_classifier]))
    rows.append({"extractor": classifier.name, "images": n_classifier,
                 "img_per_s": n_classifier / seconds})
    try:
        inception = load_fid_inception(str(cache_dir))
    except ExtractorUnavailable as exc:
        rows.append({"extractor": "fid_inception", "skipped": str(exc)})
        return rows
    inception.features(x_test[:50])
    seconds = _timed(lambda: inception.features(x_test[:n_inception]), repeats=1)
    rows.append({"extractor": inception.name, "images": n_inception,
                 "img_per_s": n_inception / seconds, "resize": inception.resize})
    return rows


def sqrtm_frechet(mu_a, cov_a, mu_b, cov_b):
    """The classic formula with ``scipy.linalg.sqrtm`` (the reference route being timed against)."""
    diff = mu_a - mu_b
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))


def measure_frechet(samples=10_000, dim=2048, seed=0):
    """``frechet_distance_from_moments`` against the sqrtm formula on the same two 2048-d
    Gaussians."""
    rng = np.random.default_rng(seed)
    mixing = np.eye(dim) + rng.normal(scale=0.5 / np.sqrt(dim), size=(dim, dim))
    a = rng.normal(size=(samples, dim))
    b = rng.normal(size=(samples, dim)) @ mixing + 0.1
    moments = (a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    started = time.perf_counter()
    fast = frechet_distance_from_moments(*moments)
    fast_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reference = sqrtm_frechet(*moments)
    sqrtm_seconds = time.perf_counter() - started
    return {"samples": samples, "dim": dim, "eigvalsh_seconds": fast_seconds,
            "sqrtm_seconds": sqrtm_seconds, "speedup": sqrtm_seconds / fast_seconds,
            "relative_difference": abs(fast - reference) / abs(reference)}


ENGINE_PLAN = ["--suite", "gan", "--profile", "smoke"]  # 8 runs: GAN, DCGAN, real-data floor


def measure_engines(data_dir, jobs=(1, 2)):
    """Wall time of the same plan run whole at each ``--jobs`` (a fresh results folder each time,
    one classifier cache warmed by a first pass, so that every timed pass does the same work)."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "BENCHMARK_CACHE_DIR": str(Path(scratch) / "cache")}

        def run(name, n):
            command = [sys.executable, "-m", "genbench", "run", *ENGINE_PLAN, "--jobs", str(n),
                       "--out", str(Path(scratch) / name)]
            command += ["--data-dir", data_dir] if data_dir else []
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            return time.perf_counter() - started

        run("warm-up", 1)
        for n in jobs:
            rows.append({"jobs": n, "seconds": run(f"jobs{n}", n)})
    for row in rows:
        row["speedup"] = rows[0]["seconds"] / row["seconds"]
    return {"plan": " ".join(ENGINE_PLAN), "runs": 8, "rows": rows}


def run_perf(out_dir, data_dir, cache_dir, steps=200, classifier_steps=None, n_inception=200,
             frechet_dim=2048, engines=False, step_cases=STEP_CASES):
    """Measure and write perf.md/perf.json; ``classifier_steps`` defaults to the standard profile's;
    ``step_cases``: the models whose train steps are timed at each precision
    (``perf_steps.CASES``); ``engines`` adds the ``--jobs`` comparison (several minutes)."""
    env = environment()
    configs = [build_configs(suite, "standard", model, dataset)[0]
               for suite, model, dataset in CASES]
    training = [measure_training(config, data_dir, steps) for config in configs]
    extractors = measure_extractors(data_dir, cache_dir,
                                    classifier_steps or configs[0].eval.classifier_steps,
                                    n_inception=n_inception)
    report = {"machine": machine_summary(env), "environment": env, "training": training,
              "extractors": extractors, "frechet": measure_frechet(dim=frechet_dim),
              "steps": measure_steps(cache_dir, step_cases, inception_images=min(50, n_inception))}
    if engines:
        report["engines"] = measure_engines(data_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "perf.json").write_text(json.dumps(report, indent=2))
    (out / "perf.md").write_text(render_perf(report))
    return report


def render_perf(report):
    packages = report["environment"]["packages"]
    lines = ["# Performance", "", f"Machine: {report['machine']}; TensorFlow "
             f"{packages.get('tensorflow') or packages.get('tensorflow-cpu')}, "
             f"Keras {packages.get('keras')}. Best of 3 timings each.", "",
             "## Training (standard-profile networks and batch sizes)", "",
             "| model | dataset | batch | fit img/s | bare loop img/s (pipeline) "
             "| bare loop img/s (in memory) "
             "| fit overhead vs bare loop | input share of step time | sampling img/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in report["training"]:
        lines.append(f"| {r['model']} | {r['dataset']} | {r['batch_size']} | "
                     f"{r['fit_img_per_s']:.0f} | {r['bare_pipeline_img_per_s']:.0f} | "
                     f"{r['bare_memory_img_per_s']:.0f} | "
                     f"{100 * r['fit_overhead']:+.1f}% | {100 * r['input_share']:.1f}% | "
                     f"{r['sample_img_per_s']:.0f} |")
    lines += ["", "Targets: fit within 5% of the bare loop; input pipeline under 5% of step time.",
              "", "## Feature extractors", "", "| extractor | images | img/s |", "|---|---|---|"]
    for r in report["extractors"]:
        if "skipped" in r:
            lines.append(f"| {r['extractor']} | skipped: {r['skipped']} | |")
        else:
            lines.append(f"| {r['extractor']} | {r['images']} | {r['img_per_s']:.1f} |")
    f = report["frechet"]
    lines += ["", "## Fréchet distance", "",
              f"Two {f['dim']}-d Gaussians from {f['samples']} samples each, same moments: "
              f"Cholesky + `eigvalsh` route {f['eigvalsh_seconds']:.2f} s, "
              f"`scipy.linalg.sqrtm` formula {f['sqrtm_seconds']:.2f} s "
              f"({f['speedup']:.1f}x faster; target 5x); "
              f"relative difference {f['relative_difference']:.1e}.", "",
              *render_steps(report["steps"])]
    if "engines" in report:
        e = report["engines"]
        lines += ["", "## Parallel runs", "",
                  f"`python -m genbench run {e['plan']} --jobs N` ({e['runs']} runs; "
                  "default threads: TensorFlow's for one job, cores / N each for N jobs), "
                  "wall time of the whole plan in one perf run:", "",
                  "| jobs | seconds | speed-up over --jobs 1 |", "|---|---|---|"]
        lines += [f"| {r['jobs']} | {r['seconds']:.0f} | {r['speedup']:.2f}x |" for r in e["rows"]]
    return "\n".join(lines) + "\n"
