"""Tests of genrelib.evaluation and its plots: metrics vs scikit-learn, aggregation, bootstrap."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from deep_data import spectrogram_set  # noqa: E402
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score  # noqa: E402

from genrelib.config import GENRES  # noqa: E402
from genrelib.errors import ConfigError  # noqa: E402
from genrelib.evaluation import (  # noqa: E402
    BINCOUNT_BLOCK,
    LEVELS,
    METRICS,
    bootstrap_ci,
    bootstrap_weights,
    classification_metrics,
    confusion_table,
    evaluate,
    evaluate_probabilities,
    exact_interval,
    per_class_recall,
    predict_proba,
    track_predictions,
)
from genrelib.models import build_model  # noqa: E402
from genrelib.plots import plot_confusion_matrix, plot_recall_with_ci, plot_training_curves  # noqa: E402
from genrelib.training.data import SpectrogramDataset  # noqa: E402


def random_predictions(n: int, seed: int, missing: int | None = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 10, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, 10, n))
    if missing is not None:  # one class neither true nor predicted
        keep = (y_true != missing) & (y_pred != missing)
        y_true, y_pred = y_true[keep], y_pred[keep]
    return y_true, y_pred


def test_metrics_match_scikit_learn() -> None:
    y_true, y_pred = random_predictions(300, seed=1)
    labels = list(range(10))
    metrics = classification_metrics(y_true, y_pred)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert metrics["f1_micro"] == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="micro")
    )
    # Macro F1 over the genres that occur (scikit-learn's default label set): pop never does.
    expected_macro = f1_score(y_true, y_pred, average="macro")
    assert metrics["f1_macro"] == pytest.approx(expected_macro)
    everything = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    assert metrics["f1_macro"] > everything
    recall = per_class_recall(y_true, y_pred)
    assert list(recall.index) == list(GENRES) and np.isnan(recall["pop"])
    present = [g for g in range(10) if g != 7]
    expected_recall = recall_score(y_true, y_pred, labels=present, average=None)
    assert recall.iloc[present].to_numpy() == pytest.approx(expected_recall)
    table = confusion_table(y_true, y_pred)
    assert table.index.name == "true" and list(table.columns) == list(GENRES)
    assert (table.to_numpy() == confusion_matrix(y_true, y_pred, labels=labels)).all()
    with pytest.raises(ConfigError):
        classification_metrics([0, 1], [0, 12])


def test_track_aggregation_by_mean_and_vote() -> None:
    chunks = pd.DataFrame({"track_id": ["b", "b", "b", "a", "a"], "label": [1, 1, 1, 0, 0]})
    probabilities = np.array(
        [
            [0.0, 0.4, 0.6],  # track b: votes 2 -> class 2, 1 -> class 1 ...
            [0.0, 0.45, 0.55],
            [0.0, 0.95, 0.05],  # ... but the mean favours class 1 (0.60 vs 0.40)
            [0.6, 0.4, 0.0],  # track a: one vote each; the mean (0.5, 0.5 + 0) ties towards ...
            [0.3, 0.7, 0.0],  # ... class 1 (0.55 vs 0.45)
        ]
    )
    tracks = track_predictions(chunks, probabilities)
    assert list(tracks["track_id"]) == ["b", "a"]
    assert list(tracks["n_chunks"]) == [3, 2]
    assert list(tracks["pred_mean"]) == [1, 1]
    assert list(tracks["pred_vote"]) == [2, 1]  # the tie on a goes to the higher mean
    assert tracks["confidence"].to_numpy() == pytest.approx([0.6, 0.55])


def test_track_intervals_are_exact_binomial_and_never_collapse() -> None:
    """10 of 10 tracks right is [69.2, 100] (Clopper-Pearson), not the bootstrap's [100, 100]."""
    assert exact_interval(10, 10) == pytest.approx((0.69150, 1.0), abs=1e-4)
    assert exact_interval(5, 10) == pytest.approx((0.18709, 0.81291), abs=1e-4)
    labels = np.repeat(np.arange(10), 3)  # 10 tracks of 3 chunks, one per genre
    chunks = pd.DataFrame({"track_id": np.repeat(np.arange(10), 3), "label": labels})
    probabilities = np.eye(10)[labels]  # every chunk right
    evaluation = evaluate_probabilities(chunks, probabilities, n_boot=200)
    metrics = evaluation.metrics.set_index(["level", "metric"])
    track = metrics.loc[("track_mean", "accuracy")]
    assert track["estimate"] == 1.0 and track["low"] == pytest.approx(0.6915, abs=1e-4)
    assert metrics.loc[("chunk", "accuracy"), "low"] == 1.0  # chunk level: bootstrap over tracks
    recall = evaluation.recall.set_index(["level", "genre"]).loc[("track_mean", "blues")]
    assert recall["low"] == pytest.approx(0.025, abs=1e-3)  # 1 of 1 track: [2.5, 100]
    # chunk level, one test track a genre: every resample gives that track's recall again,
    # so the bootstrap has no interval to give (not a zero-width one)
    chunk = evaluation.recall.set_index(["level", "genre"]).loc["chunk"]
    assert chunk["estimate"].eq(1.0).all() and chunk[["low", "high"]].isna().all().all()


@pytest.mark.parametrize("n_groups", [7, 1000, BINCOUNT_BLOCK + 3])
def test_bootstrap_weights_count_every_draw_block_by_block(n_groups: int) -> None:
    """Tallied in cache-sized blocks (the last one partial): the counts of each row's draws."""
    n_draws = 3 * max(1, BINCOUNT_BLOCK // n_groups) + 2
    weights = bootstrap_weights(np.random.default_rng(4), n_draws, n_groups)
    draws = np.random.default_rng(4).integers(0, n_groups, size=(n_draws, n_groups))
    expected = np.stack([np.bincount(row, minlength=n_groups) for row in draws])
    np.testing.assert_array_equal(weights, expected)
    assert (weights.sum(axis=1) == n_groups).all()


def test_vectorised_bootstrap_equals_a_plain_loop() -> None:
    y_true, y_pred = random_predictions(240, seed=2, missing=None)
    groups = np.repeat(np.arange(40), 6)  # 40 tracks of 6 chunks
    n_boot, seed = 50, 5
    metrics, recall = bootstrap_ci(y_true, y_pred, groups, n_boot=n_boot, confidence=0.9, seed=seed)
    draws = np.random.default_rng(seed).integers(0, 40, size=(n_boot, 40))
    accuracy, macro = [], []
    for row in draws:
        items = np.concatenate([np.flatnonzero(groups == g) for g in row])
        accuracy.append(accuracy_score(y_true[items], y_pred[items]))
        macro.append(
            f1_score(
                y_true[items], y_pred[items], labels=range(10), average="macro", zero_division=0
            )
        )
    assert metrics.loc["accuracy", "low"] == pytest.approx(np.percentile(accuracy, 5))
    assert metrics.loc["accuracy", "high"] == pytest.approx(np.percentile(accuracy, 95))
    assert metrics.loc["f1_macro", "low"] == pytest.approx(np.percentile(macro, 5))
    assert metrics.loc["accuracy", "estimate"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert list(metrics.index) == list(METRICS)
    assert (recall["low"] <= recall["estimate"]).all() and (
        recall["estimate"] <= recall["high"]
    ).all()
    again, _ = bootstrap_ci(y_true, y_pred, groups, n_boot=n_boot, confidence=0.9, seed=seed)
    pd.testing.assert_frame_equal(metrics, again)
    # resampling 40 tracks gives a wider interval than pretending the 240 chunks are independent
    correlated = np.repeat(
        np.random.default_rng(3).random(40) < 0.6, 6
    )  # whole tracks right or wrong
    y_corr = np.where(correlated, y_true, (y_true + 1) % 10)
    naive, _ = bootstrap_ci(y_true, y_corr, None, n_boot=400, seed=seed)
    tracks, _ = bootstrap_ci(y_true, y_corr, groups, n_boot=400, seed=seed)
    width = lambda m: m.loc["accuracy", "high"] - m.loc["accuracy", "low"]  # noqa: E731
    assert width(tracks) > 1.5 * width(naive)


@pytest.fixture(scope="module")
def real_set(gtzan_mini):
    return spectrogram_set(gtzan_mini, tracks_per_genre=2)


def test_predict_and_evaluate_on_real_spectrograms(real_set) -> None:
    torch.manual_seed(0)
    model = build_model("base_crnn")
    exact = {"batch_size": 16, "device": "cpu", "progress": False, "precision": "fp32"}
    probabilities = predict_proba(model, real_set, **exact)
    assert probabilities.shape == (len(real_set), 10)
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(len(real_set)), abs=1e-5)
    quirky = build_model("base_crnn", double_softmax=True)
    quirky.load_state_dict(model.state_dict())
    same = predict_proba(quirky, real_set, **exact)
    assert same == pytest.approx(probabilities, abs=1e-6)  # not softmaxed a second time (fp32)
    # predicted by a fused copy: the model's own eval-mode outputs, the model left as it was
    model.train()
    with torch.inference_mode():
        inputs = torch.stack([SpectrogramDataset(real_set)[i][0] for i in range(len(real_set))])
        unfused = torch.softmax(model.eval()(inputs), dim=1).numpy()
    np.testing.assert_allclose(probabilities, unfused, atol=1e-6)
    assert any(isinstance(layer, torch.nn.BatchNorm2d) for layer in model.modules())
    result = evaluate(model, real_set, batch_size=16, device="cpu", n_boot=200, progress=False)
    summary = result.summary()
    assert list(summary.index) == list(LEVELS) and list(summary.columns) == sorted(METRICS)
    chunk_accuracy = float((probabilities.argmax(axis=1) == real_set.labels).mean())
    assert summary.loc["chunk", "accuracy"] == pytest.approx(chunk_accuracy)
    assert len(result.tracks) == 20 and result.confusion["chunk"].to_numpy().sum() == len(real_set)
    assert result.confusion["track_vote"].to_numpy().sum() == 20
    assert (result.metrics["low"] <= result.metrics["estimate"] + 1e-12).all()


def test_plots(real_set) -> None:
    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3, 4],
            "train_loss": [2.2, 1.9, 1.6, 1.4],
            "valid_loss": [2.1, 1.8, 1.85, 1.9],
            "train_acc": [0.2, 0.35, 0.5, 0.6],
            "valid_acc": [0.25, 0.4, 0.38, 0.37],
        }
    )
    fig = plot_training_curves(history)
    loss_ax = fig.axes[0]
    assert loss_ax.get_ylabel().startswith("cross-entropy") and loss_ax.get_xlabel() == "epoch"
    assert any("best epoch (2)" in line.get_label() for line in loss_ax.get_lines())
    y_true = real_set.labels
    y_pred = (y_true + 1) % 10
    fig = plot_confusion_matrix(confusion_table(y_true, y_pred), title="real clips")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "100\n(6)" in texts  # every genre has 6 chunks, all mapped to one predicted genre
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list(GENRES)
    _, recall = bootstrap_ci(y_true, y_true, real_set.chunks["track_id"], n_boot=50)
    fig = plot_recall_with_ci(recall.reset_index())
    assert len(fig.axes[0].patches) == 10
    plt.close("all")
