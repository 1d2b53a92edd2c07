"""Classifier figures with the default packs: load time in a fresh interpreter, and throughput and
per-post latency on one core over the labelled corpus (as X delivers it, normalised once).

The folding and link caches are warm in the main figures, as they are in a Lambda that has seen a
spam wave; `classify_cold_p99` clears them before every post: the cost of text never seen before."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import yaml

from bench.context import emit
from takedown.repost import Repost
from takedown.signatures import SignatureEngine
from takedown.signatures.links import parse_link
from takedown.signatures.text import fold_chunk
from takedown.webhook import read_delivery
from tests.corpus.envelopes import envelope

LOAD_RUNS = 7
ROUNDS = 50
LOAD_CODE = (
    "import time; t = time.perf_counter(); "
    "from takedown.signatures import SignatureEngine; SignatureEngine.load_default(); "
    "print((time.perf_counter() - t) * 1000)"
)


def main() -> None:
    loads = [
        float(subprocess.run([sys.executable, "-c", LOAD_CODE], capture_output=True, text=True, check=True).stdout)
        for _ in range(LOAD_RUNS)
    ]
    emit("rules_import_and_load_median", statistics.median(loads), "ms", runs=LOAD_RUNS, max_ms=round(max(loads), 1))

    corpus = ROOT / "tests" / "corpus"
    cases = yaml.safe_load((corpus / "negatives.yaml").read_text()) + yaml.safe_load(
        (corpus / "positives.yaml").read_text()
    )
    now = datetime.now(UTC)
    reposts = [Repost.from_event(read_delivery(envelope(c, i), now).posts[0]) for i, c in enumerate(cases)]
    engine = SignatureEngine.load_default()
    for repost in reposts:  # warm
        engine.classify(repost)
    samples = []
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for repost in reposts:
            t = time.perf_counter_ns()
            engine.classify(repost)
            samples.append((time.perf_counter_ns() - t) / 1000)
    elapsed = time.perf_counter() - started
    samples.sort()
    emit("classifications_per_second", len(samples) / elapsed, "1/s", posts=len(samples), cores=1)
    emit("classify_p50", samples[len(samples) // 2], "us", posts=len(samples))
    emit("classify_p99", samples[int(len(samples) * 0.99)], "us", posts=len(samples))

    cold = []
    for repost in reposts * 5:
        fold_chunk.cache_clear()
        parse_link.cache_clear()
        t = time.perf_counter_ns()
        engine.classify(repost)
        cold.append((time.perf_counter_ns() - t) / 1000)
    cold.sort()
    emit("classify_cold_p99", cold[int(len(cold) * 0.99)], "us", posts=len(cold), caches="cleared before each post")


if __name__ == "__main__":
    main()
