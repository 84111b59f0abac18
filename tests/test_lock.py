"""requirements.lock holds for every Python that pyproject.toml says it supports.

The lock is installed in hash mode, so a dependency that a supported Python needs and the lock
lacks stops `make setup` cold (redis needs async-timeout below 3.11.3, Debian 12 ships 3.11.2).
These tests read the real metadata of what the lock installed (no network) and evaluate every
requirement's environment markers as each supported Python would.
"""

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*(?:;\s*(.+?))?\s*\\?$")


def _pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def supported_pythons() -> list[str]:
    """Every 3.x.y (y up to 20) that requires-python admits: enough to cross any patch marker."""
    spec = SpecifierSet(_pyproject()["project"]["requires-python"])
    return [
        f"3.{minor}.{patch}"
        for minor in range(8, 16)
        for patch in range(21)
        if Version(f"3.{minor}.{patch}") in spec
    ]


def read_lock(text: str) -> dict[str, list[Marker | None]]:
    """name → the markers of its pins (None: always)."""
    pins: dict[str, list[Marker | None]] = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            name, _version, marker = match.groups()
            pins.setdefault(canonicalize_name(name), []).append(Marker(marker) if marker else None)
    return pins


def _env(python: str, extra: str = "") -> dict[str, str]:
    return {
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "extra": extra,
    }


def missing(requirements: list[tuple[Requirement, str]], lock_text: str) -> list[str]:
    """What a supported Python would need that the lock does not pin for it.

    `requirements` pairs each requirement with the extra it was asked for under ("" for none).
    """
    pins = read_lock(lock_text)
    gaps = []
    for python in supported_pythons():
        for req, extra in requirements:
            if req.marker and not req.marker.evaluate(_env(python, extra)):
                continue
            markers = pins.get(canonicalize_name(req.name), [])
            if not any(m is None or m.evaluate(_env(python)) for m in markers):
                gaps.append(f"Python {python} needs {req} (locked for: {markers or 'never'})")
    return sorted(set(gaps))


def _declared() -> list[tuple[Requirement, str]]:
    project = _pyproject()["project"]
    names = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [(Requirement(name), "") for name in names]


def _installed() -> list[tuple[Requirement, str]]:
    """The requirements of every installed locked package, under the extras asked of it."""
    declared = [req for req, _ in _declared()]
    extras_of: dict[str, set[str]] = {}
    for req in declared:
        extras_of.setdefault(canonicalize_name(req.name), set()).update(req.extras)
    locked = read_lock((ROOT / "requirements.lock").read_text())
    found = []
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name not in locked:
            continue
        for line in dist.requires or []:
            req = Requirement(line)
            for extra in {"", *extras_of.get(name, set())}:
                found.append((req, extra))
    return found


def test_it_pins_every_declared_dependency_for_every_supported_python() -> None:
    assert missing(_declared(), (ROOT / "requirements.lock").read_text()) == []


def test_it_pins_every_transitive_dependency_for_every_supported_python() -> None:
    assert missing(_installed(), (ROOT / "requirements.lock").read_text()) == []


def test_it_supports_debian_12s_own_python() -> None:
    assert "3.11.2" in supported_pythons()


def test_it_finds_a_dependency_that_only_an_older_patch_release_needs() -> None:
    # The lock of 2026-11, compiled on 3.11.7, pinned redis but not its async-timeout.
    lock = "redis==8.1.0 \\\n    --hash=sha256:00\n"
    req = Requirement('async-timeout>=4.0.3; python_full_version < "3.11.3"')
    assert missing([(req, "")], lock) == [
        "Python 3.11.0 needs " + str(req) + " (locked for: never)",
        "Python 3.11.1 needs " + str(req) + " (locked for: never)",
        "Python 3.11.2 needs " + str(req) + " (locked for: never)",
    ]
    fixed = lock + "async-timeout==5.0.1 ; python_full_version < '3.11.3' \\\n"
    assert missing([(req, "")], fixed) == []
