"""Does a comment ask the creator something? A '?' plus a question shape, per language.

A '?' alone is too loose ("lol?", "???" or a quoted title), a question word alone too (it
starts statements as well: "what a video"). A comment is a question when a sentence ending
in '?' (or opened with '¿') starts with a question word, an auxiliary verb, or speaks to the
creator ("you", "tu", "du"...).
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN = (
    "what what's whats why how how's when where where's who who's whom which whose "
    "can could will would do does did is are was were should shall may might have has any "
    "anyone anybody you your u ur"
)
QUESTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words(_EN),
    "es": _words(
        "qué que cómo como cuándo cuando dónde donde por quién quien cuál cual cuánto cuanto "
        "puedes podrías tienes hay es son vas tú tu usted"
    ),
    "pt": _words("o que quê como quando onde por quem qual quanto pode podes tem há é você vc tu"),
    "fr": _words(
        "quoi que qu'est-ce comment pourquoi quand où qui quel quelle quels quelles combien "
        "est-ce peux-tu pouvez-vous as-tu avez-vous tu vous c'est est"
    ),
    "de": _words(
        "was wie warum wieso weshalb wann wo wer welche welcher welches wieviel kannst "
        "könntest hast gibt ist sind du ihr sie"
    ),
    "it": _words(
        "cosa che come perché quando dove chi quale quanto puoi potresti hai c'è è sei tu voi"
    ),
    "nl": _words("wat hoe waarom wanneer waar wie welke hoeveel kun kan heb is zijn je jij u"),
}
_SENTENCE = re.compile(r"[^.!?¿]*[?？]|¿[^?？]*")
_WORD = re.compile(r"[\w'’-]+")


def is_question(text: str, language: str = "en") -> bool:
    if "?" not in text and "？" not in text and "¿" not in text:
        return False
    words = QUESTION_WORDS.get(language, QUESTION_WORDS["en"])
    for sentence in _SENTENCE.findall(text):
        tokens = [t.lower() for t in _WORD.findall(sentence)]
        if not tokens:
            continue
        if tokens[0] in words or sentence.lstrip().startswith("¿"):
            return True
        if any(t in words for t in tokens[1:4]):  # "so how do you…", "hey can you…"
            return True
        if {"you", "u", "your"} & set(tokens) and language == "en":
            return True
    return False
