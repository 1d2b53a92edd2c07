"""`takedown model train|evaluate`: rebuild the judgement's model and measure it.

takedown model train                 # corpus/train -> the layer's model.tsv (seeded: same corpus, same bytes)
takedown model evaluate --gate       # corpus/eval, plus its obfuscated copy; exit 1 below the bar
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from takedown.judgement.judge import Judge
from takedown.judgement.model import ARTIFACT, LearnedModel, ModelArtifactError
from takedown.signatures.engine import SignatureEngine
from takedown_cli.model import SEED
from takedown_cli.model.corpus import CorpusError, load_corpus
from takedown_cli.model.evaluate import (
    OBFUSCATION_BAR,
    RECALL_BAR,
    evaluate,
    gate,
    obfuscated,
    obfuscation_gate,
    print_report,
)

TRAIN_CORPUS = Path("corpus/train")
EVAL_CORPUS = Path("corpus/eval")
OBFUSCATION_SEED = 7


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="train or evaluate the judgement's learned model")
    commands = parser.add_subparsers(dest="model_command", required=True)
    training = commands.add_parser("train", help="rebuild the model artifact from the training corpus")
    training.add_argument("--corpus", type=Path, default=TRAIN_CORPUS, help="training corpus folder or file")
    training.add_argument("--out", type=Path, default=ARTIFACT, help="where to write the artifact")
    training.add_argument("--seed", type=int, default=SEED, help="random seed (default: the pinned one)")
    training.add_argument(
        "--may-undo", action="store_true", help="let the model undo without the rules (only once make eval passes)"
    )
    training.set_defaults(handler=run_train)
    evaluation = commands.add_parser("evaluate", help="precision and recall on the evaluation corpus")
    evaluation.add_argument("--corpus", type=Path, default=EVAL_CORPUS, help="evaluation corpus folder or file")
    evaluation.add_argument("--model", type=Path, default=ARTIFACT, help="the model artifact to evaluate")
    evaluation.add_argument("--gate", action="store_true", help=f"exit 1 on a false undo or recall < {RECALL_BAR}")
    evaluation.set_defaults(handler=run_evaluate)


def run_train(args: argparse.Namespace) -> int:
    from takedown_cli.model import train  # noqa: PLC0415 - scikit-learn is loaded only to train

    try:
        header = train.train(args.corpus, args.out, args.seed, may_undo=args.may_undo)
    except CorpusError as error:
        sys.stderr.write(f"takedown model train: {error}\n")
        return 2
    version = LearnedModel.load(args.out).version
    summary = {key: header[key] for key in ("trained_on", "thresholds", "out_of_fold", "params")}
    sys.stdout.write(json.dumps({"artifact": str(args.out), "version": version, **summary}, indent=1) + "\n")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        judge = Judge(SignatureEngine.load_default(), LearnedModel.load(args.model))
        posts = load_corpus(args.corpus)
    except (CorpusError, ModelArtifactError) as error:
        sys.stderr.write(f"takedown model evaluate: {error}\n")
        return 2
    out = sys.stdout
    out.write(f"model {judge.model.version}, rules {judge.engine.version}, {len(posts)} posts from {args.corpus}\n")
    plain = evaluate(judge, posts)
    print_report(plain, out, "evaluation corpus")
    tricked = evaluate(judge, obfuscated(posts, OBFUSCATION_SEED))
    print_report(tricked, out, "evaluation corpus, obfuscated")
    failures = [f"plain: {reason}" for reason in gate(plain, RECALL_BAR)]
    failures += [f"obfuscated: {reason}" for reason in obfuscation_gate(plain, tricked, OBFUSCATION_BAR)]
    out.write("\n" + ("FAIL: " + "; ".join(failures) if failures else "PASS") + "\n")
    return 1 if failures and args.gate else 0
