"""The rule packs' own labelled corpus, through the whole judgement (rules and model) on
`takedown classify`'s own path: precision and recall per category.

Fails on any undo of a negative (a police appeal undone is a real harm) or recall under 95%.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import yaml

from takedown.judgement.judge import Judge
from takedown_cli.classify import verdicts
from tests.corpus.envelopes import envelope

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NEGATIVES = yaml.safe_load((CORPUS / "negatives.yaml").read_text(encoding="utf-8"))
POSITIVES = yaml.safe_load((CORPUS / "positives.yaml").read_text(encoding="utf-8"))
MIN_RECALL = 0.95


def test_corpus_precision_and_recall() -> None:
    judge = Judge.load_default()
    cases = [(case, None) for case in NEGATIVES] + [(case, case["category"]) for case in POSITIVES]
    assert len(cases) >= 200
    outcome: Counter[tuple[str, str]] = Counter()
    false_undos, misses = [], []
    for index, (case, label) in enumerate(cases):
        ((verdict, _),) = verdicts(envelope(case, index), judge)
        predicted = verdict["category"] if verdict["action"] == "undo" else None
        for category in ("illegal_stream", "adult"):
            if predicted == category and label == category:
                outcome[category, "tp"] += 1
            elif predicted == category:
                outcome[category, "fp"] += 1
            elif label == category:
                outcome[category, "fn"] += 1
        if label is None and verdict["action"] == "undo":
            false_undos.append((case["text"], verdict["contributions"]))
        if label is not None and predicted != label:
            misses.append((label, case["text"], verdict["score"]))

    report = {}
    for category in ("illegal_stream", "adult"):
        tp, fp, fn = (outcome[category, k] for k in ("tp", "fp", "fn"))
        report[category] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
            "tp": tp, "fp": fp, "fn": fn,
        }  # fmt: skip
    print(json.dumps({"cases": len(cases), "negatives": len(NEGATIVES), **report}, indent=1))
    for miss in misses:
        print("missed:", miss)
    assert false_undos == [], f"negatives undone: {false_undos}"
    for category, figures in report.items():
        assert figures["recall"] >= MIN_RECALL, f"{category} recall {figures['recall']}: {misses}"
