"""``python -m benchmark data status``: what is present, verified, and how to get the rest."""

from __future__ import annotations

from .base import status_row
from .files import problem
from .paths import resolve_data_dir
from .registry import DATASETS


def status_rows(data_dir: str | None = None) -> list[dict[str, str]]:
    """One row per registered dataset (keys: dataset, status, source, samples, checksum,
    how_to_get); never raises."""
    data_dir = resolve_data_dir(data_dir)
    rows = []
    for name, dataset in DATASETS.items():
        try:
            rows.append(dataset.status(data_dir))
        except Exception as exc:  # a status report must list every dataset, whatever breaks
            rows.append(status_row(name, "corrupt",
                                   how_to_get=f"status check failed ({problem(exc)})"))
    return rows


def format_status(rows: list[dict[str, str]]) -> str:
    """The rows as a text table, then how to get (or fix) each dataset that needs it."""
    columns = ["dataset", "status", "samples", "checksum", "source"]
    widths = {key: max([len(key)] + [len(row[key]) for row in rows]) for key in columns}
    lines = ["  ".join(key.ljust(widths[key]) for key in columns).rstrip()]
    lines += ["  ".join(row[key].ljust(widths[key]) for key in columns).rstrip() for row in rows]
    notes = [f"  {row['dataset']}: {row['how_to_get']}" for row in rows if row["how_to_get"]]
    if notes:
        lines += ["", "To get or fix:"] + notes
    return "\n".join(lines)
