"""Reading a downloaded swanctl.conf the way strongSwan does, for the checks that run without a
charon (the lab test loads the same files into a real one).

strongSwan's settings syntax (strongswan.conf(5)): `name {` opens a section, `}` closes it,
`key = value` sets a value, `#` starts a comment outside double quotes, and a double-quoted
value is taken as it is. swanctl then reads a secret starting with "0x" or "0s", in any case,
as hex or base64 (load_creds.c uses strcasepfx).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any


class Unparsable(ValueError):
    pass


def parse(text: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    stack = [root]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "}":
            if len(stack) == 1:
                raise Unparsable(f"line {number}: '}}' closes nothing")
            stack.pop()
        elif line.endswith("{") and "=" not in line:
            name = line[:-1].strip()
            if not name or name in stack[-1]:
                raise Unparsable(f"line {number}: bad or repeated section {name!r}")
            stack[-1][name] = {}
            stack.append(stack[-1][name])
        elif "=" in line:
            key, _sep, value = line.partition("=")
            key = key.strip()
            if not key or key in stack[-1]:
                raise Unparsable(f"line {number}: bad or repeated key {key!r}")
            stack[-1][key] = _value(value.strip(), number)
        else:
            raise Unparsable(f"line {number}: {raw!r}")
    if len(stack) != 1:
        raise Unparsable("a section is never closed")
    return root


def _value(text: str, number: int) -> str:
    if text.startswith('"'):
        end = text.find('"', 1)
        if end < 0:
            raise Unparsable(f"line {number}: unterminated string")
        rest = text[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise Unparsable(f"line {number}: text after a string: {rest!r}")
        return text[1:end]
    return text.split("#", 1)[0].strip()


def secret_bytes(value: str) -> bytes:
    """The bytes swanctl loads for a secret's value (quotes already removed)."""
    prefix, rest = value[:2].lower(), value[2:]
    try:
        if prefix == "0x":
            return binascii.unhexlify(rest)
        if prefix == "0s":
            return base64.b64decode(rest, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Unparsable(f"swanctl cannot decode the secret {value!r}: {error}") from None
    return value.encode()


def items(value: str) -> list[str]:
    """A comma-separated list value."""
    return [item.strip() for item in value.split(",") if item.strip()]
