"""`takedown model crossval`: how the model does on writers it has never read.

Each source of the training corpus (one writer: "uk", "hijack"...) is held out in turn; a model
trained the way `takedown model train` trains (same features, vocabulary rule, blended fit) on all the
others scores it. Then, per category and model-alone threshold, the recall of the judge (the rules,
or the model where no safeguard holds it back) and the benign posts the model would undo, in all
and per writer. Five-fold out-of-fold figures (those the thresholds are chosen on) share writers
between folds; these do not, which is closer to posts nobody here wrote. The evaluation corpus is
never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from takedown.judgement.verdict import CATEGORIES, Category
from takedown.signatures.engine import BAD_SCORE, SignatureEngine
from takedown_cli.model.corpus import load_corpus
from takedown_cli.model.train import Prepared, feature_matrix, fit, prepare, vocabulary_of

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95)


@dataclass
class HeldOut:
    """Each post's probability per category from a model that never saw its writer."""

    data: Prepared
    sources: np.ndarray
    labels: np.ndarray
    probabilities: dict[Category, np.ndarray]


def held_out_by_writer(corpus: Path, seed: int, strength: dict[str, float]) -> HeldOut:
    """Held out by writer, each category fitted at `strength[category]` (the C the shipped artifact
    was trained with: its header's params)."""
    data = prepare(load_corpus(corpus), SignatureEngine.load_default())
    sources = np.array([post.source for post in data.posts])
    labels = np.array([post.label for post in data.posts])
    probabilities = {category: np.zeros(len(labels)) for category in CATEGORIES}
    for source in sorted(set(sources)):
        test = sources == source
        train_rows = [row for row, held in zip(data.features, test, strict=True) if not held]
        vocabulary = vocabulary_of(train_rows)
        train_matrix = feature_matrix(train_rows, vocabulary)
        test_matrix = feature_matrix([row for row, held in zip(data.features, test, strict=True) if held], vocabulary)
        for category in CATEGORIES:
            model = fit(train_matrix, (labels[~test] == category).astype(int), strength[category], seed)
            probabilities[category][test] = model.probabilities(test_matrix)
    return HeldOut(data, sources, labels, probabilities)


def undone(held: HeldOut, category: Category, threshold: float) -> np.ndarray:
    """What the judge would undo as `category`: the rules, or the model alone where no safeguard holds."""
    rules = np.array([scores.get(category, 0.0) for scores in held.data.rule_scores]) >= BAD_SCORE
    return rules | ((held.probabilities[category] >= threshold) & ~np.array(held.data.held))


def print_held_out(held: HeldOut, out: TextIO, per_writer_at: float = 0.9) -> None:
    benign = held.labels == "benign"
    out.write(f"held out one writer at a time: {len(held.labels)} posts, {len(set(held.sources))} writers\n\n")
    out.write(f"{'category':<16}{'threshold':>10}{'recall':>9}{'benign undone':>15}\n")
    for category in CATEGORIES:
        positive = held.labels == category
        for threshold in THRESHOLDS:
            caught = undone(held, category, threshold)
            out.write(
                f"{category:<16}{threshold:>10.2f}{(caught & positive).sum() / max(1, positive.sum()):>9.3f}"
                f"{int((caught & benign).sum()):>15}\n"
            )
    out.write(f"\nper writer, model alone at {per_writer_at}:\n")
    out.write(f"{'writer':<14}{'streams':>9}{'adult':>9}{'benign undone':>15}\n")
    flagged = {category: undone(held, category, per_writer_at) for category in CATEGORIES}
    for source in sorted(set(held.sources)):
        mine = held.sources == source
        cells = []
        for category in CATEGORIES:
            positive = mine & (held.labels == category)
            cells.append(
                f"{(flagged[category] & positive).sum() / positive.sum():>9.2f}" if positive.any() else f"{'-':>9}"
            )
        wrongly = int(((flagged["illegal_stream"] | flagged["adult"]) & mine & benign).sum())
        out.write(f"{source:<14}{''.join(cells)}{wrongly:>8} of {int((mine & benign).sum())}\n")
