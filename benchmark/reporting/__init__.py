"""Reports from the results store: ``results.csv``, ``leaderboard.md`` and ``figures/``.

- ``leaderboard``: :func:`write_reports`, what goes in the leaderboard and in which order;
- ``tables``: pure formatting of plain metric rows (means over seeds, Markdown tables,
  provenance lines), no store needed;
- ``references``: published values set beside ours, with the protocols compared.
"""

from .leaderboard import write_reports

__all__ = ["write_reports"]
