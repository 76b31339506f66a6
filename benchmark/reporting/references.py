"""Published results shown next to ours in the leaderboard.

``REFERENCES`` maps (task, model, dataset, setting, metric) -> ``Reference``; a leaderboard
section gets a reference table for its rows that have one, with our mean and the difference.
Add an entry for any other task the same way.
"""

from __future__ import annotations

from typing import NamedTuple

from .tables import with_cells


class Reference(NamedTuple):
    value: float
    std: float | None
    citation: str


_SALIMANS = "Salimans et al. 2016, Improved Techniques for Training GANs"
_ADDA = "Tzeng et al. 2017, Adversarial Discriminative Domain Adaptation, Table 2"
REFERENCES = {
    # Table 1 counts errors of 10000 test images: 1677 +- 452 with 20 labels, 93 +- 6.5 with 100.
    ("ssl", "ssgan", "mnist", "labels=20", "error_pct"): Reference(
        16.77, 4.52, f"{_SALIMANS}, Table 1"),
    ("ssl", "ssgan", "mnist", "labels=100", "error_pct"): Reference(
        0.93, 0.065, f"{_SALIMANS}, Table 1"),
    ("ssl", "ssgan", "cifar10-jpeg", "labels=4000", "error_pct"): Reference(
        18.63, 2.32, f"{_SALIMANS}, Table 2"),
    ("ssl", "ssgan", "svhn_cropped", "labels=1000", "error_pct"): Reference(
        8.11, 1.3, f"{_SALIMANS}, Table 3"),
    # Domain adaptation: target test error (100 - the papers' accuracy); ADDA's "gradient
    # reversal" is DANN.
    **{("adaptation", method, pair, "", "error_pct"):
       Reference(round(100 - accuracy, 2), None, _ADDA)
       for pair, accuracies in (("mnist:usps", (75.2, 77.1, 89.4)),
                                ("usps:mnist", (57.1, 73.0, 90.1)),
                                ("svhn_cropped:mnist", (60.1, 73.9, 76.0)))
       for method, accuracy in zip(("source_only", "dann", "adda"), accuracies, strict=True)},
    ("adaptation", "dann", "mnist:mnist_m", "", "error_pct"): Reference(
        23.34, None, "Ganin et al. 2016, Domain-Adversarial Training of Neural Networks, "
                     "Table 2 (76.66%)"),
}


def reference_table(summary, task, references=None):
    """Markdown rows ``ours | paper | Δ (ours - paper)`` for the rows of ``summary`` (one task's
    long-format results) that have a published value; "" when none has. "ours" carries the
    same " (n=k)" seed mark as the leaderboard tables (``with_cells``)."""
    references = REFERENCES if references is None else references
    lines = []
    for row in with_cells(summary).itertuples():
        ref = references.get((task, row.model, row.dataset, row.setting, row.metric))
        if ref is None:
            continue
        std = f" ± {ref.std:g}" if ref.std is not None else ""
        lines.append(f"| {row.model} | {row.dataset} | {row.setting} | {row.metric} | "
                     f"{row.cell} | {ref.value:g}{std} | {row.mean - ref.value:+.2f} | "
                     f"{ref.citation} |")
    if not lines:
        return ""
    header = ["| model | dataset | setting | metric | ours | paper | Δ | source |",
              "|---|---|---|---|---|---|---|---|"]
    return "\n".join(header + lines)
