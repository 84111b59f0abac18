"""Pre-shared keys at rest: Fernet (AES-128-CBC + HMAC-SHA256) under settings.PSK_ENCRYPTION_KEYS.

The keys form a MultiFernet: the first encrypts, every one decrypts, so a key rotates by
putting a new one first, re-encrypting (`manage.py rotate_psk_keys`), then removing the old
one. A key is a Fernet key (`Fernet.generate_key()`) or any other secret, from which a Fernet
key is derived as this module always did, so ciphertexts written before the list existed stay
readable. The key of the configuration fingerprints (vpn.strongswan.render) is derived from
the first key too: a fingerprint stored in the database reveals nothing about a PSK to anyone
without the keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Model, QuerySet

_FERNET_VERSION = 0x80  # the first byte of every Fernet token
_FINGERPRINT_INFO = b"s2s-portal/fingerprint/v1"
_FERNET_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")  # 32 bytes, urlsafe base64, as generate_key()


class UnreadableKey(ValueError):
    """A stored pre-shared key that no key of PSK_ENCRYPTION_KEYS decrypts. The message says
    why for the operator (never a character of the key or of its ciphertext)."""


@dataclass(frozen=True)
class _Keyring:
    current: Fernet  # encrypts; a token it decrypts needs no rotation
    every: MultiFernet  # decrypts
    fingerprint_key: bytes


def _raw_keys(secret: str) -> list[bytes]:
    """The 32-byte Fernet keys a configured key stands for, the one that encrypts first.

    A secret that is itself a Fernet key is used as such, and also decrypts with the key
    derived from it: before PSK_ENCRYPTION_KEYS a key was derived from every secret, and an
    operator may well have put a generated Fernet key into PSK_ENCRYPTION_KEY.
    """
    derived = hashlib.sha256(b"s2s-portal/psk/v1:" + secret.encode()).digest()
    if _FERNET_KEY.fullmatch(secret):
        return [base64.urlsafe_b64decode(secret), derived]
    return [derived]


@cache
def _keyring(secrets: tuple[str, ...]) -> _Keyring:
    if not secrets:
        raise ImproperlyConfigured("PSK_ENCRYPTION_KEYS is empty.")
    raw = [key for secret in secrets for key in _raw_keys(secret)]
    fernets = [Fernet(base64.urlsafe_b64encode(key)) for key in raw]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_FINGERPRINT_INFO)
    return _Keyring(
        current=fernets[0], every=MultiFernet(fernets), fingerprint_key=hkdf.derive(raw[0])
    )


def _keys() -> _Keyring:
    return _keyring(tuple(settings.PSK_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _keys().every.encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys().every.decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError):
        raise UnreadableKey(_why_unreadable(token)) from None


def is_current(token: str) -> bool:
    """Whether the first key encrypted `token` (so `rotate_psk_keys` has nothing to do)."""
    try:
        _keys().current.decrypt(token.encode())
    except (InvalidToken, UnicodeError):
        return False
    return True


def rotate(token: str) -> str:
    """`token` encrypted again under the first key (the plaintext never leaves this call)."""
    try:
        return _keys().every.rotate(token.encode()).decode()
    except (InvalidToken, UnicodeError):
        raise UnreadableKey(_why_unreadable(token)) from None


def fingerprint_key() -> bytes:
    """The HMAC key of configuration fingerprints (HKDF of the first key, its own purpose)."""
    return _keys().fingerprint_key


def keyed_digest(data: bytes, key: bytes | None = None) -> str:
    """HMAC-SHA256 of `data` as hex, keyed with `fingerprint_key()` unless given one."""
    return hmac.new(key if key is not None else fingerprint_key(), data, hashlib.sha256).hexdigest()


def mask(length: int) -> str:
    """What a page shows instead of a key: its length, never a character of it."""
    return f"{'•' * 8} ({length} characters)"


def _why_unreadable(token: str) -> str:
    """For the operator: a ciphertext that is not even a Fernet token was damaged; a token
    that no key opens was encrypted under a key no longer in PSK_ENCRYPTION_KEYS (or altered)."""
    try:
        data = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        data = b""
    if len(data) < 57 or data[0] != _FERNET_VERSION:
        return "the stored ciphertext is damaged (not a Fernet token)"
    return (
        "no key in PSK_ENCRYPTION_KEYS decrypts it (it was encrypted under a key that is not"
        " configured here, or altered)"
    )


@dataclass
class Rotation:
    """What `rotate_column` did: re-encrypted, already under the first key, replaced by their
    owner meanwhile (so already current), and the ids of the rows no key decrypts."""

    rotated: int = 0
    current: int = 0
    changed: int = 0
    unreadable: list[int] = field(default_factory=list)


def rotate_column(rows: QuerySet[Model], column: str, *, batch_size: int = 500) -> Rotation:
    """Re-encrypt `column` of every row under the first key, in batches of one transaction
    each (a large table is neither locked nor rewritten at once). A row is written only if its
    value is still the one read, so a secret its owner replaced meanwhile (already current)
    is never overwritten. Plaintexts never leave this module."""
    done, last = Rotation(), 0
    while True:
        with transaction.atomic():
            batch = list(
                rows.filter(pk__gt=last).order_by("pk").values_list("pk", column)[:batch_size]
            )
            if not batch:
                return done
            for pk, token in batch:
                if is_current(token):
                    done.current += 1
                    continue
                try:
                    fresh = rotate(token)
                except UnreadableKey:
                    done.unreadable.append(pk)
                    continue
                if rows.filter(pk=pk, **{column: token}).update(**{column: fresh}):
                    done.rotated += 1
                else:
                    done.changed += 1
        last = batch[-1][0]
