"""Published results shown next to ours in the leaderboard, with the protocols compared.

``REFERENCES`` maps (task, model, dataset, setting, metric) -> ``Reference``: the paper's value
and a ``Protocol`` record of how it was obtained. A leaderboard section gets a reference table for
its rows that have one: our mean, the paper's, a "differs" cell naming each protocol field where
the paper's and ours (``our_protocol``: read from the configuration the row's runs stored, so that
a row run with overrides is described as it ran, and their seed count) are not the same, and
Δ = ours - paper only where none is. Add an entry for any other task the same way
(and a case in ``our_protocol`` for a new task).
"""

from __future__ import annotations

from typing import NamedTuple

from .tables import ROW_KEYS, with_cells


class Protocol(NamedTuple):
    """How a number was obtained; the fields compared between a paper and our row."""

    data: str            # training data: which images, subset sizes, labels
    network: str         # the classifier's architecture (and what it starts from)
    training: str | None  # training length; None: the paper does not state it
    runs: int | None     # seeds averaged; None: the paper does not state it
    reported: str | None  # what the number is, on which images; None: not stated


class Reference(NamedTuple):
    value: float
    std: float | None
    citation: str
    protocol: Protocol


FULL_TRAIN = "full train splits (source labelled, target unlabelled)"
WHOLE_TEST = "error % on the whole test split"
SMALL_CNN = "build_small_cnn"


# The copies of CIFAR-10 a row can run on, and what each is: the papers' side and ours are
# described from this one table, so that a run on the original pixels matches the papers' data.
_CIFAR_COPY_PIXELS = {"cifar10": "original pixels",
                      "cifar10-jpeg": "JPEG re-encoded at about quality 75"}
CIFAR_COPIES = tuple(_CIFAR_COPY_PIXELS)


def _cifar_copy(dataset):
    """The name of a CIFAR-10 copy with what its pixels are, e.g. "cifar10 (original pixels)"."""
    return f"{dataset} ({_CIFAR_COPY_PIXELS[dataset]})"


def _cifar_train(dataset):
    """The train split of a CIFAR-10 copy, e.g. "cifar10 train (50,000, original pixels)"."""
    return f"{dataset} train (50,000, {_CIFAR_COPY_PIXELS[dataset]})"


def labelled(count):
    return f"{count} class-balanced labelled, all train images unlabelled"


def mlp(units):
    return "MLP " + "-".join(str(u) for u in units)


def steps(count, batch):
    return f"{count} steps of batch {batch}"


# Salimans et al. 2016, Table 1 (MNIST, permutation invariant): errors among the 10000 test
# images, averaged over 10 seeds; 1677 ± 452 with 20 labels, 93 ± 6.5 with 100. 300 epochs of 600
# batches of 100 is their released code's setting (train_mnist_feature_matching.py), not a sentence
# of the paper. Their CIFAR-10 (a 9-layer CNN) and SVHN values stay out until such a model runs.
_SALIMANS = "Salimans et al. 2016, Improved Techniques for Training GANs, Table 1"


def _salimans(labels):
    return Protocol(data=labelled(labels), network=mlp((1000, 500, 250, 250, 250)),
                    training=steps(300 * 600, 100), runs=10, reported=WHOLE_TEST)


# Their CIFAR-10 result (Table 2, 4,000 labels): 18.63 ± 2.32% test error over 10 seeds, the
# 9-layer CNN, 1,200 epochs of 500 batches of 100 (their train_cifar_feature_matching.py).
SALIMANS_CNN = "Salimans et al.'s CIFAR-10 CNN (96-192 channels, weight norm)"
_SALIMANS_CIFAR = Protocol(data=f"{labelled(4000)}, {_cifar_copy('cifar10')}",
                           network=SALIMANS_CNN, training=steps(1200 * 500, 100), runs=10,
                           reported=WHOLE_TEST)


# Tzeng et al. 2017, Table 2: target accuracy (the table's "gradient reversal" is DANN). Their
# digit pairs follow Long et al. 2013's 2000 MNIST / 1800 USPS images; SVHN -> MNIST the full
# train splits; LeNet; their table states neither the baselines' training length nor how many
# runs (nor which target images are scored).
_ADDA = "Tzeng et al. 2017, Adversarial Discriminative Domain Adaptation, Table 2"
_ADDA_DATA = {"mnist:usps": "2000 MNIST + 1800 USPS train images",
              "usps:mnist": "1800 USPS + 2000 MNIST train images",
              "svhn_cropped:mnist": FULL_TRAIN}
_ADDA_ACCURACY = {"mnist:usps": (75.2, 77.1, 89.4), "usps:mnist": (57.1, 73.0, 90.1),
                  "svhn_cropped:mnist": (60.1, 73.9, 76.0)}

# Ganin et al. 2016 (JMLR), Table 2: MNIST -> MNIST-M target accuracy 76.66%, their CNN (conv
# 32 and 48 filters 5x5, FC 100-100), SGD with an annealed rate; iterations and runs not stated.
_GANIN = "Ganin et al. 2016, Domain-Adversarial Training of Neural Networks, Table 2 (76.66%)"

# Lee & Town 2020 (Mimicry), CIFAR-10 table: DCGAN FID 28.95 with 10,000 generated against 10,000
# real images, on the original pixels; their DCGAN is the SNGAN paper's CNN (a 4x4x512 projection,
# 4x4 transposed convolutions 512-256-128-64 and a 3x3 output convolution; a seven-layer
# discriminator of 64-512 channels), 100k steps of batch 64, Adam 2e-4 (0.5, 0.999).
_MIMICRY = "Lee & Town 2020, Mimicry: Towards the Reproducibility of GAN Research (CIFAR-10 table)"
_MIMICRY_PROTOCOL = Protocol(
    data=_cifar_train("cifar10"),
    network="SNGAN CNN (G 512-64 + 3x3 output; D 7 convs 64-512)",
    training=steps(100000, 64), runs=None,
    reported="fid: 10000 generated vs 10000 real")
# Salimans et al. 2016, Sec. 6: annotators told their CIFAR-10 samples from real images 78.7% of
# the time (MNIST: 52.4%); c2st_acc asks a classifier the same question.
_HUMAN = "Salimans et al. 2016, Improved Techniques for Training GANs, Sec. 6 (human annotators)"
_HUMAN_PROTOCOL = Protocol(data=_cifar_train("cifar10"),
                           network="Salimans et al.'s feature-matching GAN", training=None,
                           runs=None, reported="human annotators' accuracy at telling fakes")

REFERENCES = {
    **{("generation", "dcgan", copy, "", "fid"): Reference(28.95, None, _MIMICRY,
                                                           _MIMICRY_PROTOCOL)
       for copy in CIFAR_COPIES},
    **{(task, model, copy, "", "c2st_acc"): Reference(0.787, None, _HUMAN, _HUMAN_PROTOCOL)
       for task, model in (("generation", "gan"), ("generation", "dcgan"), ("diffusion", "ldm"),
                           ("diffusion", "ddpm"))
       for copy in CIFAR_COPIES},
    **{("ssl", "ssgan", copy, "labels=4000", "error_pct"): Reference(
        18.63, 2.32, _SALIMANS.replace("Table 1", "Table 2"), _SALIMANS_CIFAR)
       for copy in CIFAR_COPIES},
    ("ssl", "ssgan", "mnist", "labels=20", "error_pct"): Reference(
        16.77, 4.52, _SALIMANS, _salimans(20)),
    ("ssl", "ssgan", "mnist", "labels=100", "error_pct"): Reference(
        0.93, 0.065, _SALIMANS, _salimans(100)),
    # Domain adaptation: target test error (100 - the papers' accuracy).
    **{("adaptation", method, pair, "", "error_pct"):
       Reference(round(100 - accuracy, 2), None, _ADDA,
                 Protocol(data=_ADDA_DATA[pair], network="LeNet", training=None, runs=None,
                          reported=None))
       for pair, accuracies in _ADDA_ACCURACY.items()
       for method, accuracy in zip(("source_only", "dann", "adda"), accuracies, strict=True)},
    ("adaptation", "dann", "mnist:mnist_m", "", "error_pct"): Reference(
        23.34, None, _GANIN,
        Protocol(data=FULL_TRAIN, network="Ganin et al.'s CNN (conv 32-48, 5x5; FC 100-100)",
                 training=None, runs=None, reported=WHOLE_TEST)),
}


def our_protocol(row, config, used_steps=None):
    """The ``Protocol`` of a summary row (task, model, dataset, setting, metric, n_seeds) whose
    runs share the stored ``config`` (``RunConfig.to_dict()``) and trained ``used_steps`` on
    average (their ``train_steps``; None where not recorded); None without a config, or for a
    task no case describes."""
    if config is None or config["task"] not in ("ssl", "adaptation", "generation", "diffusion"):
        return None
    train, params = config["train"], config["model_params"]
    if config["task"] in ("generation", "diffusion"):
        return _generation_protocol(config, row)
    if config["task"] == "ssl":
        network = params.get("classifier", params)  # a Section's classifier, or the model's own
        if network.get("architecture") == "cnn":
            width = network.get("cnn_width", 1.0)
            described = SALIMANS_CNN if width == 1.0 else f"{SALIMANS_CNN} at {width:g}x width"
        else:
            described = mlp(network.get("discriminator_units", network.get(
                "hidden_units", (1000, 500, 250, 250, 250))))
        data = labelled(int(row.setting.removeprefix("labels=")))
        if row.dataset in _CIFAR_COPY_PIXELS:
            data += f", {_cifar_copy(row.dataset)}"
        return Protocol(data=data, network=described, training=_ssl_training(train, used_steps),
                        runs=row.n_seeds, reported=WHOLE_TEST)
    source = steps(params["source"]["steps"], params["source"]["batch_size"])
    if config["model"] == "source_only":
        training = f"source CNN {source}"
    else:
        training = f"source CNN {source}, then {steps(train['steps'], train['batch_size'])}"
    starts = config["model"] == "adda" or params.get("init_from_source", False)
    return Protocol(data=FULL_TRAIN,
                    network=SMALL_CNN + (", from the source CNN" if starts else ""),
                    training=training, runs=row.n_seeds, reported=WHOLE_TEST)


def _ssl_training(train, used_steps):
    """An ssl fit's length: its cap and, where it keeps its best checkpoint on validation, that
    rule and the steps the runs trained on average (early stopping ends fits before the cap)."""
    cap = steps(train["steps"], train["batch_size"])
    every = train.get("checkpoint_every", train["steps"])
    if every >= train["steps"]:
        return cap
    rule = f"at most {cap}, the best of every {every} on validation kept"
    if train.get("patience"):
        rule += f", stopped {train['patience']} after it"
    return rule + (f" ({used_steps:.0f} trained on average)" if used_steps is not None else "")


def _generation_protocol(config, row):
    """The Protocol of a generation or diffusion row: its data copy, network, steps, seeds and,
    per metric, what the number is."""
    counts = config["eval"]
    reported = {"fid": f"fid: {counts['inception_samples']} generated vs {counts['num_real']} real",
                "c2st_acc": "a classifier's two-sample accuracy on domain-classifier features"
                }.get(row.metric, row.metric)
    params = config["model_params"]
    network = (f"DCGAN (models/dcgan.py), base_filters {params['base_filters']}"
               if config["model"] == "dcgan" else config["model"])
    return Protocol(data=_cifar_train(row.dataset) if row.dataset in _CIFAR_COPY_PIXELS
                    else row.dataset,
                    network=network,
                    training=steps(config["train"]["steps"], config["train"]["batch_size"]),
                    runs=row.n_seeds, reported=reported)


def differences(paper, ours):
    """The protocol fields where ``ours`` does not match ``paper``: "field (paper: …; ours: …)";
    a field the paper does not state differs, and runs differ only when we average fewer."""
    if ours is None:
        return ["our protocol unknown (no stored configuration describes this row)"]
    found = []
    for field in Protocol._fields:
        theirs, mine = getattr(paper, field), getattr(ours, field)
        same = (theirs is not None and mine >= theirs) if field == "runs" else theirs == mine
        if not same:
            found.append(f"{field} (paper: {'not stated' if theirs is None else theirs}; "
                         f"ours: {mine})")
    return found


def reference_table(summary, task, configs, references=None):
    """Markdown rows ``ours | paper | Δ | differs | source`` for the rows of ``summary`` (one
    task's long-format results with suite, profile and n_seeds) that have a published value; ""
    when none has. ``configs`` maps a row's (suite, task, model, dataset, setting, profile) to the
    stored configuration of its runs, which the protocol comparison reads. Δ (ours - paper) is
    given only where no protocol field differs. "ours" carries the same " (n=k)" seed mark as the
    leaderboard tables (``with_cells``)."""
    references = REFERENCES if references is None else references
    lines = []
    used_steps = summary[summary["metric"] == "train_steps"].set_index(list(ROW_KEYS))["mean"]
    for row in with_cells(summary).itertuples():
        ref = references.get((task, row.model, row.dataset, row.setting, row.metric))
        if ref is None:
            continue
        std = f" ± {ref.std:g}" if ref.std is not None else ""
        key = tuple(getattr(row, k) for k in ROW_KEYS)
        differs = differences(ref.protocol,
                              our_protocol(row, configs.get(key), used_steps.get(key)))
        delta = "—, protocol differs" if differs else f"{row.mean - ref.value:+.2f}"
        lines.append(f"| {row.model} | {row.dataset} | {row.setting} | {row.metric} | "
                     f"{row.cell} | {ref.value:g}{std} | {delta} | "
                     f"{'; '.join(differs) or 'nothing'} | {ref.citation} |")
    if not lines:
        return ""
    header = ["| model | dataset | setting | metric | ours | paper | Δ | differs | source |",
              "|---|---|---|---|---|---|---|---|---|"]
    return "\n".join(header + lines)
