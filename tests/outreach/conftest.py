from __future__ import annotations

from collections.abc import Iterator

import pytest

from fanlens.config import settings
from tests.outreach.receivers import SECRET, Inbox, WebhookReceiver, start_smtp, start_webhook


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    yield from start_webhook(WebhookReceiver())


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    yield from start_smtp(Inbox())


@pytest.fixture
def outreach_settings(monkeypatch: pytest.MonkeyPatch, smtp: Inbox) -> Inbox:
    """Settings pointing at the test's SMTP server, a webhook secret, fast retries."""
    from pydantic import SecretStr

    monkeypatch.setattr(settings, "outreach_webhook_secret", SecretStr(SECRET))
    monkeypatch.setattr(settings, "outreach_smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "outreach_smtp_port", smtp.port)
    monkeypatch.setattr(settings, "outreach_smtp_tls", "none")
    monkeypatch.setattr(settings, "outreach_smtp_from", "studio@example.test")
    monkeypatch.setattr(settings, "outreach_retry_seconds", 0.0)
    return smtp
