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
import io
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


def _archive(directory: Path) -> tarfile.TarFile:
    """The authors' 2014 archive inside the sdist (ratings, their 2014 code and lexicon)."""
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
        return tarfile.open(fileobj=io.BytesIO(blob.read()))


def _member(data: tarfile.TarFile, name: str) -> str:
    member = next(m for m in data.getmembers() if m.name.endswith(name))
    raw = data.extractfile(member)
    assert raw is not None
    return raw.read().decode("utf-8", errors="replace")


def fetch(data: tarfile.TarFile) -> list[tuple[float, str]]:
    rows = []
    for line in _member(data, MEMBER).splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            rows.append((float(parts[1]), parts[2]))
    return rows


def reference_2014(data: tarfile.TarFile, directory: Path) -> Callable[[str], float] | None:
    """The authors' 2014 code and lexicon, shipped beside the ratings: the one the paper's
    r = 0.881 was measured with. It is Python 2; three spots are adapted in memory to run it
    (nothing of it is stored). None when the archive no longer holds it."""
    try:
        code = _member(data, "hutto_ICWSM_2014/vaderSentiment.py")
        lexicon = directory / "vader_sentiment_lexicon_2014.txt"
        lexicon.write_bytes(_member(data, "hutto_ICWSM_2014/vader_sentiment_lexicon.txt").encode())
    except StopIteration:
        return None
    code = code.split("if __name__")[0].replace("reload(sys)", "")
    code = code.replace("lambda (w, m): (w, float(m))", "lambda wm: (wm[0], float(wm[1]))")
    code = code.replace("open(f)", "open(f, encoding='utf-8')")
    code = code.replace("'vader_sentiment_lexicon.txt'", repr(str(lexicon)))
    namespace: dict[str, object] = {}
    exec(compile(code, "vaderSentiment_2014.py", "exec"), namespace)
    sentiment = namespace["sentiment"]
    return lambda text: float(sentiment(text)["compound"])  # type: ignore[operator]


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
        data = _archive(Path(tmp))
        rows = fetch(data)
        reference = reference_2014(data, Path(tmp))
        ratings, texts = [r for r, _ in rows], [t for _, t in rows]
        r_2014 = (
            statistics.correlation([reference(t) for t in texts], ratings) if reference else None
        )
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
    if r_2014 is not None:
        print(
            f"Pearson r, the authors' 2014 code and lexicon (the paper's): {r_2014:.3f}"
            f"  -> vaderSentiment 3.3.2 vs 2014: {r_raw - r_2014:+.3f}"
        )
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
