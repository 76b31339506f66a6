import subprocess
import sys

import numpy as np

from genbench.evaluation.images import from_uint8, to_uint8


def test_every_pixel_value_round_trips():
    pixels = np.arange(256, dtype=np.uint8)
    scaled = from_uint8(pixels)
    assert scaled.dtype == np.float32 and scaled[0] == -1.0 and scaled[-1] == 1.0
    np.testing.assert_array_equal(to_uint8(scaled), pixels)


def test_to_uint8_clips_out_of_range_outputs():
    np.testing.assert_array_equal(to_uint8(np.array([-1.5, 0.0, 2.0])), [0, 128, 255])


def test_plots_save_figures_without_touching_the_backend(tmp_path):
    """Importing and using the figure module leaves matplotlib's backend as it was."""
    code = f"""
import matplotlib, numpy as np
matplotlib.use("svg")
from genbench.evaluation import plots
plots.save_curves({{"loss": ([0, 1], [1.0, 0.5])}}, r"{tmp_path / 'c.png'}", "t")
plots.save_mosaic(np.zeros((4, 5, 5, 1), np.uint8), r"{tmp_path / 'm.png'}", columns=2)
print(matplotlib.get_backend())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"
    assert (tmp_path / "c.png").stat().st_size > 0 and (tmp_path / "m.png").stat().st_size > 0
