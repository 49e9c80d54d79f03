from __future__ import annotations

import pytest
from pydantic import SecretStr

from fanlens.config import settings
from fanlens.connectors import credentials
from fanlens.connectors.models import Account


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = credentials.generate_key()
    monkeypatch.setattr(settings, "secret_key", SecretStr(key))
    return key


def test_round_trip_and_ciphertext_hides_the_secret(secret_key: str) -> None:
    token = credentials.encrypt({"api_key": "AIza-very-secret"})
    assert b"very-secret" not in token
    assert credentials.decrypt(token) == {"api_key": "AIza-very-secret"}


def test_missing_key_is_a_clear_error_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "secret_key", None)
    with pytest.raises(credentials.SecretKeyError, match="FANLENS_SECRET_KEY"):
        credentials.encrypt({"api_key": "x"})


def test_a_changed_key_is_reported_not_crashed(
    secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = credentials.encrypt({"api_key": "x"})
    monkeypatch.setattr(settings, "secret_key", SecretStr(credentials.generate_key()))
    with pytest.raises(credentials.SecretKeyError, match="FANLENS_SECRET_KEY"):
        credentials.decrypt(token)


def test_account_repr_never_shows_credentials(secret_key: str) -> None:
    account = Account(platform="youtube", handle="UC1", external_id="UC1")
    account.credentials = credentials.encrypt({"api_key": "AIza-very-secret"})
    assert "credentials" not in repr(account) and "AIza" not in repr(account)
