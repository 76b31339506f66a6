import sys

# Absolute on purpose: in a checkout `python -m benchmark` loads this folder as a top-level
# package, and the suite's modules import each other relatively inside `genbench`.
from genbench.benchmark.cli import main

sys.exit(main())
