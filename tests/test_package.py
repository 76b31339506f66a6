"""The installed distribution: one `genbench` namespace that a user's folder cannot shadow."""

import os
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("benchmark", "evaluation", "models")

SHADOWS = "raise ImportError('the user\\'s own {name}.py was imported')\n"


def _python(code_or_args, cwd, timeout=120):
    # PYTHONPATH names the checkout the way an installation would put genbench on the path;
    # the working folder still comes first, as it does for every user.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_every_package_folder_is_installed_under_genbench():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {"genbench"} | {
        "genbench." + str(init.parent.relative_to(ROOT)).replace(os.sep, ".")
        for folder in FOLDERS for init in (ROOT / folder).rglob("__init__.py")}
    assert set(setuptools["packages"]) == on_disk
    assert setuptools["package-dir"] == {f"genbench.{name}": name for name in FOLDERS}
    for name in FOLDERS:  # the checkout's links, which give the same modules without installing
        assert (ROOT / "genbench" / name).resolve() == ROOT / name


def test_a_smoke_run_from_a_folder_with_its_own_models_py(tmp_path):
    for name in FOLDERS:
        (tmp_path / f"{name}.py").write_text(SHADOWS.format(name=name))
    result = _python(["-m", "genbench", "run", "--suite", "gan", "--model", "gan", "--dataset",
                      "ring8", "--profile", "smoke", "--out", str(tmp_path / "out")],
                     cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "out" / "leaderboard.md").exists()
    # And the user's own module is the one `import models` gives them.
    assert "the user's own models.py" in _python("import models", cwd=tmp_path).stderr


def test_a_model_saved_through_one_import_path_loads_through_the_other(tmp_path):
    build = ("import keras; from {module} import CycleGAN; "
             "CycleGAN(image_shape=(8, 8, 1), base_filters=4, res_blocks=1, downsamplings=1)"
             ".generator_ab.save(r'{path}')")
    load = ("import keras, numpy as np; import {module}; "
            "g = keras.models.load_model(r'{path}'); "
            "print(g(np.zeros((1, 8, 8, 1))).shape)")
    # `models` imports from the checkout's folder; `genbench.models` from a folder without one.
    folder = {"models": ROOT, "genbench.models": tmp_path}
    for saved_by, loaded_by in (("models", "genbench.models"), ("genbench.models", "models")):
        path = tmp_path / f"{saved_by}.keras"
        saved = _python(build.format(module=saved_by, path=path), cwd=folder[saved_by])
        assert saved.returncode == 0, saved.stderr[-3000:]
        loaded = _python(load.format(module=loaded_by, path=path), cwd=folder[loaded_by])
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        assert "(1, 8, 8, 1)" in loaded.stdout


def test_the_suite_never_imports_itself_under_the_top_level_names(tmp_path):
    """Inside genbench every import is relative: a second copy under `models` would register the
    Keras classes twice and make isinstance checks fail across the copies."""
    code = """
import importlib, pkgutil, sys
import genbench
for package in ("genbench.benchmark", "genbench.models", "genbench.evaluation"):
    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
from genbench.benchmark.config import apply_overrides
from genbench.benchmark.suites import build_configs
for suite, model, dataset, override in (("translation", "cyclegan", "mnist:usps", "lambda_cycle=5"),
                                        ("gan", "dcgan", "mnist", "latent_dim=64")):
    apply_overrides(build_configs(suite, "smoke", model, dataset)[0], ["model." + override])
print(sorted({name.split(".")[0] for name in sys.modules} & {"benchmark", "models", "evaluation"}))
"""
    result = _python(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
