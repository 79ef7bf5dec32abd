"""App API keys: 32 random bytes shown once; only their SHA-256 is stored.

A fast hash is enough here: the key carries 256 bits of entropy, so there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "bk_"


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    """The first characters, enough for an operator to tell keys apart in `apps list`."""
    return key[: len(KEY_PREFIX) + 6]
