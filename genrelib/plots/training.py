"""Training curves of a run.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator


def plot_training_curves(
    history: pd.DataFrame, best_epoch: int | None = None, title: str = "Training curves"
) -> plt.Figure:
    """Loss and accuracy per epoch, training vs validation, with the best epoch marked.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    history : pd.DataFrame
        ``TrainResult.history`` (or ``history.csv``): ``epoch``, ``train_loss``,
        ``valid_loss``, ``train_acc``, ``valid_acc``.
    best_epoch : int or None
        Epoch to mark; ``None`` marks the epoch of the lowest validation loss.
    title : str
        Figure title (say here when the data are synthetic).

    Returns
    -------
    plt.Figure
        Two panels: cross-entropy loss (nats) and accuracy (%).
    """
    if best_epoch is None:
        best_epoch = int(history.loc[history["valid_loss"].idxmin(), "epoch"])
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.4), sharex=True)
    for split, style in (("train", "-o"), ("valid", "-s")):
        loss_ax.plot(history["epoch"], history[f"{split}_loss"], style, ms=3, label=split)
        acc_ax.plot(history["epoch"], 100 * history[f"{split}_acc"], style, ms=3, label=split)
    for ax in (loss_ax, acc_ax):
        ax.axvline(best_epoch, color="0.4", ls="--", lw=1, label=f"best epoch ({best_epoch})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
    loss_ax.set(ylabel="cross-entropy loss (nats)", title="loss")
    acc_ax.set(ylabel="chunk accuracy (%)", title="accuracy", ylim=(0, 100))
    acc_ax.legend(loc="lower right", fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_loss_comparison(curves: pd.DataFrame, title: str = "Loss curves") -> plt.Figure:
    """Training and validation loss per epoch of several variants of one run, on one axis.

    Notebook: 10_reproducibility (logits against double softmax).

    Parameters
    ----------
    curves : pd.DataFrame
        Histories (``epoch``, ``train_loss``, ``valid_loss``) stacked with a ``variant``
        column naming each.
    title : str
        Figure title (say here when the data are synthetic).

    Returns
    -------
    plt.Figure
        Solid lines training loss, dashed validation loss; whole-number epoch ticks.
    """
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for variant, group in curves.groupby("variant"):
        ax.plot(group["epoch"], group["train_loss"], marker="o", label=f"{variant}, train")
        ax.plot(group["epoch"], group["valid_loss"], marker="s", ls="--", label=f"{variant}, valid")
    ax.set(xlabel="epoch", ylabel="cross-entropy loss (nats)", title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
