"""Protected columns: values such as CPR numbers are encrypted before they reach the database.

AES-GCM with a key that is not the session secret (``FIELD_ENCRYPTION_KEY``), so rotating
the one does not destroy the other. A database dump or backup alone reveals nothing.

A protected column that must be found again by its value (a CPR number typed into the
search) keeps beside it a *lookup hash*: HMAC-SHA256 of the value, with a key derived from
the field key for that purpose alone, so the hash is neither the encryption key nor the
session secret, and guessing every CPR number needs the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_PREFIX = "v1:"


def _cipher() -> AESGCM:
    key = current_app.config["FIELD_ENCRYPTION_KEY"]
    return AESGCM(base64.urlsafe_b64decode(key))


#: What the lookup key is derived for; a new purpose gets a new label, never this one.
_LOOKUP_LABEL = b"helhed lookup hash v1: cpr"


def _lookup_key() -> bytes:
    field_key = base64.urlsafe_b64decode(current_app.config["FIELD_ENCRYPTION_KEY"])
    return hmac.new(field_key, _LOOKUP_LABEL, hashlib.sha256).digest()


def lookup_hash(value: str) -> str:
    """The keyed hash of *value* (64 hex digits): equal values give equal hashes."""
    return hmac.new(_lookup_key(), value.encode("utf-8"), hashlib.sha256).hexdigest()


def encrypt(plain: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher().encrypt(nonce, plain.encode("utf-8"), None)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(_PREFIX):
        raise ValueError("not an encrypted value")
    raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :])
    return _cipher().decrypt(raw[:12], raw[12:], None).decode("utf-8")


class EncryptedString(TypeDecorator[str]):
    """A string column stored encrypted; reads give the plain value back."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)
