"""Account credentials encrypted at rest with Fernet; the key comes from FANLENS_SECRET_KEY."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from fanlens.config import settings
from fanlens.kit.errors import FanlensError


class SecretKeyError(FanlensError):
    code = "secret_key"


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _fernet() -> Fernet:
    secret = settings.secret_key
    if secret is None or not secret.get_secret_value().strip():
        raise SecretKeyError(
            "FANLENS_SECRET_KEY is not set: it encrypts account credentials. "
            "Generate one with `fanlens account keygen` and set FANLENS_SECRET_KEY."
        )
    try:
        return Fernet(secret.get_secret_value().strip().encode("ascii"))
    except ValueError as exc:
        raise SecretKeyError(
            "FANLENS_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
            "generate one with `fanlens account keygen`."
        ) from exc


def derived_secret(purpose: str) -> str:
    """A secret of its own for `purpose` (e.g. one webhook subscription), made from
    FANLENS_SECRET_KEY, so it needs no storage and no one can guess it without the key."""
    _fernet()  # the key is checked (and a clear error raised) as for credentials
    key = settings.secret_key.get_secret_value().strip()  # type: ignore[union-attr]
    return hmac.new(key.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def encrypt(credentials: dict[str, Any]) -> bytes:
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode("utf-8"))


def decrypt(token: bytes | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(bytes(token))))
    except InvalidToken as exc:
        raise SecretKeyError(
            "account credentials cannot be decrypted with FANLENS_SECRET_KEY "
            "(was the key changed?); re-add the account"
        ) from exc
