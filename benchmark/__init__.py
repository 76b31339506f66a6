"""The suites, the runner and the leaderboards: ``genbench`` / ``python -m benchmark``."""
