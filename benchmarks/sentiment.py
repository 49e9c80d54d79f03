"""Sentiment accuracy and speed on the VADER authors' rated tweets.

The ground truth ships in vaderSentiment's source distribution (not in its wheel):
additional_resources/hutto_ICWSM_2014.tar.gz → tweets_GroundTruth.txt (id, mean rating of
~20 people from -4 to 4, text). It is fetched with pip into a temporary directory on each run
and never stored in the repository.

Reports Pearson r (VADER's compound score against the mean human rating), 3-class macro-F1,
and throughput of the default analyser (language detection + VADER) in one process, measured
in CPU seconds so that other work on a shared machine does not count, with wall-clock alongside.
The baseline is VADER alone on the same texts in the same run.

    .venv/bin/python -m benchmarks.sentiment [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fanlens.sentiment import language
from fanlens.sentiment.analysers import VaderAnalyser, _vader, analyse_texts

SDIST = "vaderSentiment==3.3.2"
MEMBER = "tweets_GroundTruth.txt"
# Human classes from the mean rating: the raters' scale is -4..4 with 0 neutral; a mean within
# ±0.5 of 0 is taken as neutral (the raters did not lean either way).
HUMAN_NEUTRAL = 0.5


def fetch(directory: Path) -> list[tuple[float, str]]:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         SDIST, "-d", str(directory)],
        check=True,
    )  # fmt: skip
    [sdist] = directory.glob("vaderSentiment-*.tar.gz")
    with tarfile.open(sdist) as outer:
        inner = next(m for m in outer.getmembers() if m.name.endswith("hutto_ICWSM_2014.tar.gz"))
        blob = outer.extractfile(inner)
        assert blob is not None
        with tarfile.open(fileobj=blob) as data:
            member = next(m for m in data.getmembers() if m.name.endswith(MEMBER))
            raw = data.extractfile(member)
            assert raw is not None
            lines = raw.read().decode("utf-8", errors="replace").splitlines()
    rows = []
    for line in lines:
        parts = line.split("\t", 2)
        if len(parts) == 3:
            rows.append((float(parts[1]), parts[2]))
    return rows


def human_class(rating: float) -> str:
    if rating > HUMAN_NEUTRAL:
        return "positive"
    if rating < -HUMAN_NEUTRAL:
        return "negative"
    return "neutral"


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    scores = []
    for label in ("positive", "neutral", "negative"):
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(p == label != t for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label != p for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def throughput(work: Callable[[], object], n: int, repeat: int) -> tuple[float, float]:
    """Best of `repeat` runs: (texts per CPU second, texts per wall second)."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        work()
        cpu.append(n / (time.process_time() - c0))
        wall.append(n / (time.perf_counter() - w0))
    return max(cpu), max(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fanlens-vader-") as tmp:
        rows = fetch(Path(tmp))
    ratings, texts = [r for r, _ in rows], [t for _, t in rows]
    language.detect("warm up the model"), _vader()  # loading is not throughput

    verdicts = analyse_texts(texts, VaderAnalyser())
    raw = [_vader().polarity_scores(t)["compound"] for t in texts]
    unsupported = sum(v.label == "unsupported_language" for v in verdicts)
    truth = [human_class(r) for r in ratings]
    predicted = [v.label if v.label != "unsupported_language" else "neutral" for v in verdicts]
    print(
        f"tweets: {len(texts)} (human classes: "
        + ", ".join(f"{c} {truth.count(c)}" for c in ("positive", "neutral", "negative"))
        + ")"
    )
    r_raw = statistics.correlation(raw, ratings)
    print(f"Pearson r, VADER compound vs mean human rating: {r_raw:.3f} (paper: 0.881)")
    print(
        f"Pearson r, default analyser (language-aware):   "
        f"{statistics.correlation([v.score for v in verdicts], ratings):.3f}"
        f" ({unsupported} tweets called non-English, scored 0)"
    )
    print(
        f"3-class macro-F1 (human |mean| <= {HUMAN_NEUTRAL} neutral; VADER ±0.05): "
        f"{macro_f1(truth, predicted):.3f}"
    )

    vader = VaderAnalyser()
    base_cpu, base_wall = throughput(
        lambda: vader.analyse(texts, ["en"] * len(texts)), len(texts), args.repeat
    )
    full_cpu, full_wall = throughput(lambda: analyse_texts(texts, vader), len(texts), args.repeat)
    print(
        f"baseline, VADER alone:            {base_cpu:8,.0f} texts/CPU-s  ({base_wall:,.0f}/s wall)"
    )
    print(
        f"default analyser (+ language):    {full_cpu:8,.0f} texts/CPU-s  ({full_wall:,.0f}/s wall)"
        f"  ratio to baseline {full_cpu / base_cpu:.2f}"
    )
    print(f"goal >= 5,000 comments/s per core: {'met' if full_cpu >= 5000 else 'NOT met'}")


if __name__ == "__main__":
    main()
