"""The analysers on known texts: labels, languages, questions (no database)."""

from __future__ import annotations

import pytest

from fanlens.sentiment import language
from fanlens.sentiment.analysers import VaderAnalyser, analyse_texts, label_for
from fanlens.sentiment.questions import is_question


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this video, great work!", "positive"),
        ("This is terrible, I hate it", "negative"),
        ("Watching this from the office", "neutral"),
        ("Best tutorial ever 😍😍", "positive"),
        ("worst take on YouTube 😡", "negative"),
        ("Me encanta este video, muchas gracias", "unsupported_language"),
        (
            "Das ist wirklich das schlechteste Video, das ich je gesehen habe",
            "unsupported_language",
        ),
        ("Отличное видео, спасибо", "unsupported_language"),
    ],
)
def test_labels_of_known_texts(text: str, label: str) -> None:
    [verdict] = analyse_texts([text], VaderAnalyser())
    assert verdict.label == label
    assert verdict.analyser == "vader" and verdict.analyser_version == "3.3.2"
    assert -1 <= verdict.score <= 1
    if label == "unsupported_language":
        assert verdict.score == 0 and verdict.language != "en"


def test_cut_offs_are_vaders() -> None:
    assert [label_for(s) for s in (0.05, 0.0499, -0.0499, -0.05)] == [
        "positive", "neutral", "neutral", "negative",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love this video so much!", "en"),
        ("lol that was so funny, you are the best", "en"),
        ("C'est vraiment génial, merci beaucoup pour la vidéo", "fr"),
        ("Isso é muito bom, obrigado pelo vídeo", "pt"),
        ("🔥🔥🔥", "und"),
        ("@someone https://example.com", "und"),
    ],
)
def test_language(text: str, expected: str) -> None:
    assert language.detect(text) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("What grinder do you use?", "en", True),
        ("Great video. Where did you buy that?", "en", True),
        ("Can you do one on cold brew?", "en", True),
        ("lol?", "en", False),
        ("wow?!", "en", False),
        ("What a video!", "en", False),
        ("I love this", "en", False),
        ("¿Dónde compraste eso?", "es", True),
        ("Wie lange dauert das?", "de", True),
        ("Comment tu fais ça ?", "fr", True),
    ],
)
def test_questions(text: str, lang: str, expected: bool) -> None:
    assert is_question(text, lang) is expected
