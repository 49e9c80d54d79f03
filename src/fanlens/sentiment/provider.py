"""An optional second opinion: any OpenAI-compatible chat-completions endpoint.

It judges the languages it is configured for (FANLENS_SENTIMENT_LLM_LANGUAGES), a batch of
comments per request, within a request budget. Its answer must be exactly the JSON object we
asked for (one result per id, known labels, scores in [-1, 1]); anything else, like any HTTP
failure, leaves those comments with VADER's verdict and counts a failure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Literal

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fanlens.config import settings
from fanlens.kit.errors import InvalidInput
from fanlens.kit.http import Budget, HttpClient, HttpError, HttpOptions, Transport
from fanlens.sentiment.analysers import Analyser, VaderAnalyser, Verdict

log = logging.getLogger(__name__)

FAILURES = Counter(
    "fanlens_sentiment_provider_failures",
    "Comments the sentiment provider failed to judge (they keep VADER's verdict).",
)
INSTRUCTIONS = (
    "You label the sentiment of social media comments written to a content creator. "
    'The user message is a JSON array of {"id", "language", "text"}. Reply with JSON only, '
    'no prose and no code fence: {"results": [{"id": <id>, "label": "positive" | "neutral" | '
    '"negative", "score": <number from -1 (most negative) to 1 (most positive)>}]}, '
    "one result per id."
)


class ProviderFailure(Exception):
    """The provider's answer could not be used."""


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: int
    label: Literal["positive", "neutral", "negative"]
    score: float = Field(ge=-1, le=1)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    results: list[_Item]


def chat_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def parse_answer(body: object, expected_ids: Sequence[int]) -> dict[int, _Item]:
    """The results of a chat-completions response body, or ProviderFailure."""
    try:
        content = body["choices"][0]["message"]["content"]  # type: ignore[index]
        answer = _Answer.model_validate_json(content)
    except (KeyError, IndexError, TypeError, ValidationError) as exc:
        raise ProviderFailure(f"unusable answer: {exc}") from exc
    results = {item.id: item for item in answer.results}
    if len(results) != len(answer.results) or set(results) != set(expected_ids):
        raise ProviderFailure(f"answer ids {sorted(results)} != asked {sorted(expected_ids)}")
    return results


class ProviderAnalyser:
    """Sends the configured languages to the provider, keeps `fallback` for the rest."""

    name = "llm"

    def __init__(
        self,
        *,
        fallback: Analyser,
        url: str,
        model: str,
        key: str | None,
        languages: frozenset[str] | None,
        batch_size: int = 20,
        requests_per_minute: int = 60,
        timeout: float = 30.0,
        transport: Transport | None = None,
    ) -> None:
        self.fallback, self.model, self.languages = fallback, model, languages
        self.version = model
        self.batch_size = batch_size
        self.url = chat_url(url)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = HttpClient(
            budget=Budget(limit=requests_per_minute, window=60.0),
            options=HttpOptions(timeout=timeout, transport=transport, follow_redirects=False),
            headers=headers,
        )
        self.failures = 0  # comments that kept the fallback verdict because the provider failed
        self.judged = 0

    @classmethod
    def from_settings(cls, *, fallback: Analyser) -> ProviderAnalyser:
        if not settings.sentiment_llm_url or not settings.sentiment_llm_model:
            raise InvalidInput("FANLENS_SENTIMENT_LLM_URL needs FANLENS_SENTIMENT_LLM_MODEL")
        key = settings.sentiment_llm_key
        wanted = settings.sentiment_llm_languages.strip()
        return cls(
            fallback=fallback,
            url=settings.sentiment_llm_url,
            model=settings.sentiment_llm_model,
            key=key.get_secret_value() if key else None,
            languages=None
            if wanted == "*"
            else frozenset(x.strip() for x in wanted.split(",") if x.strip()),
            batch_size=settings.sentiment_llm_batch_size,
            requests_per_minute=settings.sentiment_llm_requests_per_minute,
            timeout=settings.http_timeout,
        )

    def wants(self, language: str) -> bool:
        """`*` means every language VADER cannot read."""
        if self.languages is None:
            return language not in ("en", "und")
        return language in self.languages

    def analyse(self, texts: Sequence[str], languages: Sequence[str]) -> list[Verdict]:
        verdicts = self.fallback.analyse(texts, languages)
        chosen = [i for i, lang in enumerate(languages) if self.wants(lang)]
        for start in range(0, len(chosen), self.batch_size):
            batch = chosen[start : start + self.batch_size]
            try:
                results = self._ask([(i, texts[i], languages[i]) for i in batch])
            except ProviderFailure as exc:
                self.failures += len(batch)
                FAILURES.inc(len(batch))
                log.warning("sentiment provider failed for %d comments: %s", len(batch), exc)
                continue
            for i in batch:
                item = results[i]
                verdicts[i] = Verdict(item.label, item.score, languages[i], self.name, self.model)
            self.judged += len(batch)
        return verdicts

    def _ask(self, items: list[tuple[int, str, str]]) -> dict[int, _Item]:
        payload = [{"id": i, "language": lang, "text": text} for i, text, lang in items]
        request = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
            ],
        }
        try:
            # One attempt: a failed batch keeps the fallback's verdicts, and every retry is paid.
            response = self.client.write_once(self.url, json=request)
            response.raise_for_status()
            body = response.json()
        except (HttpError, ValueError) as exc:
            raise ProviderFailure(f"request failed: {exc}") from exc
        return parse_answer(body, [i for i, _, _ in items])

    def close(self) -> None:
        self.client.close()


def default_analyser() -> Analyser:
    """VADER, wrapped by the chat-completions provider when one is configured."""
    vader = VaderAnalyser()
    if not settings.sentiment_llm_url:
        return vader
    return ProviderAnalyser.from_settings(fallback=vader)
