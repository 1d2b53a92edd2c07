"""Judgement figures (rule packs and learned model): cold load time in a fresh interpreter, rules
alone and with the model, and throughput and per-post latency on one core over the evaluation
corpus (as X delivers it, normalised once).

The load is timed on the library as `make build` ships it (a copy of the package with bytecode used
unchecked, as in the Lambda layer) and, `_from_source`, as Python reads it with no bytecode at all.
The rules' figure includes importing their dependencies as this machine's environment holds them.

The folding and link caches are warm in the main figures, as they are in a Lambda that has seen a
spam wave; `classify_cold_p99` clears them before every post: the cost of text never seen before.
The main figures judge as the inspector does (`explain=False`: a clean verdict without the model's
feature list, which is built for every bad or held-back one); the `_explained` ones build it for
every post, as `takedown classify` does. `classifications_per_second_fresh` reads each post of
the training corpus once (about 37,000 texts, more than the caches keep): the rate for traffic
where no post repeats."""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.context import emit
from takedown.judgement.judge import Judge
from takedown.signatures.links import parse_link
from takedown.signatures.text import fold_chunk, tokenise
from takedown_cli.model.corpus import load_corpus

LOAD_RUNS = 7
ROUNDS = 50
LOAD_CODE = (
    "import time; t = time.perf_counter(); "
    "from takedown.signatures import SignatureEngine; SignatureEngine.load_default(); r = time.perf_counter(); "
    "from takedown.judgement.judge import Judge; Judge.load_default(); "
    "print((r - t) * 1000, (time.perf_counter() - r) * 1000)"
)


def _loads(package_dir: Path) -> list[tuple[float, float]]:
    """The rules' and the model's load times in LOAD_RUNS fresh interpreters importing the package
    from `package_dir` (and writing no bytecode of their own)."""
    env = dict(os.environ, PYTHONPATH=str(package_dir))
    runs = [subprocess.run([sys.executable, "-B", "-c", LOAD_CODE], capture_output=True, text=True, check=True,
                           env=env).stdout.split() for _ in range(LOAD_RUNS)]  # fmt: skip
    return [(float(rules), float(model)) for rules, model in runs]


def _emit_loads(loads: list[tuple[float, float]], suffix: str) -> None:
    rules, model = [r for r, _ in loads], [m for _, m in loads]
    emit(f"rules_import_and_load_median{suffix}", statistics.median(rules), "ms", runs=LOAD_RUNS,
         max_ms=round(max(rules), 1))  # fmt: skip
    emit(f"model_added_load_median{suffix}", statistics.median(model), "ms", runs=LOAD_RUNS,
         max_ms=round(max(model), 1))  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        built, source = Path(scratch) / "built", Path(scratch) / "source"
        for copy in (built, source):
            shutil.copytree(ROOT / "layers" / "takedown" / "takedown", copy / "takedown",
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        # As the layer ships it (make build): bytecode that Python uses without looking at the source.
        compileall.compile_dir(built / "takedown", quiet=1,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)  # fmt: skip
        _emit_loads(_loads(built), "")
        _emit_loads(_loads(source), "_from_source")

    reposts = [post.repost(i) for i, post in enumerate(load_corpus(ROOT / "corpus" / "eval"))]
    engine = Judge.load_default()
    for repost in reposts:  # warm
        engine.classify(repost)
    # As the inspector judges (a clean verdict without the model's feature list), then explained in full.
    for explain, suffix in ((False, ""), (True, "_explained")):
        samples = []
        started = time.perf_counter()
        for _ in range(ROUNDS):
            for repost in reposts:
                t = time.perf_counter_ns()
                engine.classify(repost, explain=explain)
                samples.append((time.perf_counter_ns() - t) / 1000)
        elapsed = time.perf_counter() - started
        samples.sort()
        emit(f"classifications_per_second{suffix}", len(samples) / elapsed, "1/s", posts=len(samples), cores=1)
        emit(f"classify_p50{suffix}", samples[len(samples) // 2], "us", posts=len(samples))
        emit(f"classify_p99{suffix}", samples[int(len(samples) * 0.99)], "us", posts=len(samples))

    cold = []
    for repost in reposts * 5:
        tokenise.cache_clear()
        fold_chunk.cache_clear()
        parse_link.cache_clear()
        t = time.perf_counter_ns()
        engine.classify(repost, explain=False)
        cold.append((time.perf_counter_ns() - t) / 1000)
    cold.sort()
    emit("classify_cold_p99", cold[int(len(cold) * 0.99)], "us", posts=len(cold), caches="cleared before each post")

    fresh = [post.repost(i) for i, post in enumerate(load_corpus(ROOT / "corpus" / "train"))]
    started = time.perf_counter()
    for repost in fresh:
        engine.classify(repost, explain=False)
    emit("classifications_per_second_fresh", len(fresh) / (time.perf_counter() - started), "1/s", posts=len(fresh),
         cores=1, note="every post read once")  # fmt: skip


if __name__ == "__main__":
    main()
