"""Pre-shared keys at rest: Fernet (AES-128-CBC + HMAC-SHA256) keyed from a settings secret."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@cache
def _fernet(secret: str) -> Fernet:
    key = hashlib.sha256(b"s2s-portal/psk/v1:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plaintext: str) -> str:
    return _fernet(settings.PSK_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.PSK_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("the pre-shared key cannot be decrypted with PSK_ENCRYPTION_KEY") from None


def mask(length: int) -> str:
    """What a page shows instead of a key: its length, never a character of it."""
    return f"{'•' * 8} ({length} characters)"
