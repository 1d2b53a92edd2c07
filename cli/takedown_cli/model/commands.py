"""`takedown model train|evaluate|crossval`: rebuild the judgement's model and measure it.

takedown model train                 # corpus/train -> the layer's model.tsv (seeded: same corpus, same bytes)
takedown model evaluate --gate       # corpus/eval, plus its obfuscated copy; exit 1 below the bar
takedown model crossval              # corpus/train, each writer held out in turn (a few minutes)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from takedown.judgement.judge import Judge
from takedown.judgement.model import ARTIFACT, LearnedModel, ModelArtifactError
from takedown.signatures.engine import SignatureEngine
from takedown_cli.errors import ExitCode, UsageProblemError
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
    still_caught,
)

TRAIN_CORPUS = Path("corpus/train")
EVAL_CORPUS = Path("corpus/eval")
OBFUSCATION_SEED = 7


app = typer.Typer(help="Train or evaluate the judgement's learned model.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="model")


@app.command("train")
def run_train(
    corpus: Annotated[Path, typer.Option(help="training corpus folder or file")] = TRAIN_CORPUS,
    out: Annotated[Path, typer.Option(help="where to write the artifact")] = ARTIFACT,
    seed: Annotated[int, typer.Option(help="random seed (default: the pinned one)")] = SEED,
    background: Annotated[
        bool,
        typer.Option(
            "--background", help="an artifact that explains and is recorded, never undoes (try a new corpus first)"
        ),
    ] = False,
) -> None:
    """Rebuild the model artifact from the training corpus (seeded: the same corpus gives the same bytes)."""
    from takedown_cli.model import train  # noqa: PLC0415 - scikit-learn is loaded only to train

    try:
        header = train.train(corpus, out, seed, may_undo=not background)
    except CorpusError as error:
        raise UsageProblemError(str(error)) from None
    version = LearnedModel.load(out).version
    summary = {key: header[key] for key in ("trained_on", "thresholds", "out_of_fold", "params")}
    sys.stdout.write(json.dumps({"artifact": str(out), "version": version, **summary}, indent=1) + "\n")


@app.command("crossval")
def run_crossval(
    corpus: Annotated[Path, typer.Option(help="training corpus folder or file")] = TRAIN_CORPUS,
    model: Annotated[Path, typer.Option(help="the artifact whose training strength (C) to use")] = ARTIFACT,
    seed: Annotated[int, typer.Option(help="random seed (default: the pinned one)")] = SEED,
) -> None:
    """Recall and benign undos on each writer of the training corpus, by a model trained on the others."""
    from takedown_cli.model import crossval  # noqa: PLC0415 - scikit-learn is loaded only to train

    try:
        strength = LearnedModel.load(model).header["params"]["C"]
        held = crossval.held_out_by_writer(corpus, seed, strength)
    except (CorpusError, ModelArtifactError, KeyError) as error:
        raise UsageProblemError(f"cannot cross-validate: {error}") from None
    crossval.print_held_out(held, sys.stdout)


@app.command("evaluate")
def run_evaluate(
    corpus: Annotated[Path, typer.Option(help="evaluation corpus folder or file")] = EVAL_CORPUS,
    model: Annotated[Path, typer.Option(help="the model artifact to evaluate")] = ARTIFACT,
    gate_flag: Annotated[bool, typer.Option("--gate", help=f"exit 1 on a false undo or recall < {RECALL_BAR}")] = False,
) -> None:
    """Precision and recall on the evaluation corpus and its obfuscated copy."""
    try:
        judge = Judge(SignatureEngine.load_default(), LearnedModel.load(model))
        posts = load_corpus(corpus)
    except (CorpusError, ModelArtifactError) as error:
        raise UsageProblemError(str(error)) from None
    out = sys.stdout
    out.write(f"model {judge.model.version}, rules {judge.engine.version}, {len(posts)} posts from {corpus}\n")
    plain = evaluate(judge, posts)
    print_report(plain, out, "evaluation corpus")
    tricked = evaluate(judge, obfuscated(posts, OBFUSCATION_SEED))
    print_report(tricked, out, "evaluation corpus, obfuscated")
    if plain.caught:
        still = still_caught(plain, tricked)
        out.write(f"still caught once obfuscated: {still} of {len(plain.caught)} ({still / len(plain.caught):.3f})\n")
    failures = [f"plain: {reason}" for reason in gate(plain, RECALL_BAR)]
    failures += [f"obfuscated: {reason}" for reason in obfuscation_gate(plain, tricked, OBFUSCATION_BAR)]
    out.write("\n" + ("FAIL: " + "; ".join(failures) if failures else "PASS") + "\n")
    if failures and gate_flag:
        raise typer.Exit(ExitCode.CHECK_FAILED)
