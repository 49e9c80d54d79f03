"""Analysers turn texts into verdicts. The default is VADER (offline, English, emoji-aware);
language detection decides which texts VADER may judge at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from typing import Any, Literal, Protocol

from fanlens.sentiment import language

Label = Literal["positive", "neutral", "negative", "unsupported_language"]
LABELS: tuple[str, ...] = ("positive", "neutral", "negative", "unsupported_language")
SENTIMENT_LABELS: tuple[str, ...] = ("positive", "neutral", "negative")
# VADER's own recommended cut-offs on the compound score.
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05
# Languages VADER reads: English, and texts too short to tell (emoji, "lol!!").
VADER_LANGUAGES = frozenset({language.ENGLISH, language.UNDETERMINED})


@dataclass(frozen=True)
class Verdict:
    label: str
    score: float  # -1 (most negative) … 1 (most positive)
    language: str
    analyser: str
    analyser_version: str


class Analyser(Protocol):
    """Judges texts whose language is already known; one verdict per text, in order."""

    name: str
    version: str

    def analyse(self, texts: Sequence[str], languages: Sequence[str]) -> list[Verdict]: ...


def label_for(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_TO:
        return "negative"
    return "neutral"


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


class VaderAnalyser:
    """VADER's compound score; non-English texts get `unsupported_language` and score 0."""

    name = "vader"
    version = version("vaderSentiment")

    def analyse(self, texts: Sequence[str], languages: Sequence[str]) -> list[Verdict]:
        scorer = _vader().polarity_scores
        verdicts = []
        for text, lang in zip(texts, languages, strict=True):
            if lang in VADER_LANGUAGES:
                score = float(scorer(text)["compound"])
                verdicts.append(Verdict(label_for(score), score, lang, self.name, self.version))
            else:
                verdicts.append(Verdict("unsupported_language", 0.0, lang, self.name, self.version))
        return verdicts


def detect_languages(texts: Sequence[str]) -> list[str]:
    return [language.detect(t) for t in texts]


def analyse_texts(texts: Sequence[str], analyser: Analyser) -> list[Verdict]:
    """Detect each text's language, then judge: the one entry point for jobs and the CLI."""
    return analyser.analyse(texts, detect_languages(texts))
