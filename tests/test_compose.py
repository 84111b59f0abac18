"""The production compose files: valid Compose, and the rules that keep a deployment safe.

docker/compose.yaml runs the control plane and includes docker/compose.node.yaml, the network
node, which a node host also runs on its own. The two are checked as one project, the way
`docker compose -f docker/compose.yaml` loads them.
"""

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
NODE_COMPOSE = DOCKER / "compose.node.yaml"
ENV_EXAMPLE = DOCKER / "env.example"
SCHEMA = json.loads((DOCKER / "compose-spec.json").read_text())

NODE = "network-node"
PUBLISHING = {"web", "postgres", "redis"}
INTERNAL = {"postgres", "redis"}
ONE_SHOT = {"migrate"}
PORTAL_IMAGE = "docker/Dockerfile"
SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "AUTH")

# Compose's interpolation: $$ is a literal $; ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error}, ${NAME:+alternative}, ${NAME+alternative}.
INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")
REQUIRED = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*):?\?[^}]*\}")
URL_PASSWORD = re.compile(r"^\w+://(?:\$\{[^}]*\}|[^:/@$])*:(?P<password>[^@]*)@")
ENV_LINE = re.compile(r"^#?\s*(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def compose_files() -> list[Path]:
    """compose.yaml and the files it includes."""
    included = [
        entry if isinstance(entry, str) else entry["path"] for entry in load(COMPOSE)["include"]
    ]
    return [COMPOSE, *(DOCKER / path for path in included)]


def services() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in compose_files():
        merged.update(load(path)["services"])
    return merged


def long_running() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in services().items() if name not in ONE_SHOT}


def strings(value: Any) -> Iterator[str]:
    """Every string in a loaded YAML document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def env_example() -> dict[str, str]:
    """Every variable docker/env.example names, optional ("# NAME=default") ones included."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if match := ENV_LINE.match(line.strip()):
            found[match["name"]] = match["value"].strip()
    return found


def variables(path: Path) -> set[str]:
    return {
        match["name"]
        for text in strings(load(path))
        for match in INTERPOLATION.finditer(text)
        if match["name"]
    }


def substitute(value: Any, env: Mapping[str, str]) -> Any:
    """The document as Compose sees it once every variable is set (a sample for empty ones)."""
    if isinstance(value, Mapping):
        return {substitute(key, env): substitute(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        given = env.get(match["name"]) or ""
        op, arg = match["op"], match["arg"]
        if op in (":-", "-"):
            return given or arg
        if op in (":+", "+"):
            return arg if given else ""
        return given or f"sample-{match['name'].lower().replace('_', '-')}"

    return INTERPOLATION.sub(one, value)


def published(service: Mapping[str, Any]) -> list[str]:
    """Published ports as "host address:host port:container port" (the address may be missing)."""
    return [
        port
        if isinstance(port, str)
        else ":".join(str(port.get(key, "")) for key in ("host_ip", "published", "target"))
        for port in service.get("ports", [])
    ]


def dockerfiles_by_service() -> dict[str, tuple[Path, Path]]:
    """Each built service's build context and Dockerfile."""
    found = {}
    for path in compose_files():
        for name, service in load(path)["services"].items():
            if build := service.get("build"):
                context = (path.parent / build["context"]).resolve()
                found[name] = (context, context / build.get("dockerfile", "Dockerfile"))
    return found


def schema_errors(document: Any) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@pytest.mark.parametrize("path", [COMPOSE, NODE_COMPOSE], ids=lambda path: path.name)
def test_it_is_valid_compose_as_written(path: Path) -> None:
    assert schema_errors(load(path)) == []


@pytest.mark.parametrize("path", [COMPOSE, NODE_COMPOSE], ids=lambda path: path.name)
def test_it_is_valid_compose_once_every_variable_is_set(path: Path) -> None:
    assert schema_errors(substitute(load(path), env_example())) == []


def test_it_includes_the_node_file() -> None:
    assert NODE_COMPOSE in compose_files()


def test_it_runs_the_control_plane_and_a_network_node() -> None:
    assert set(services()) == {"web", "migrate", "worker", "beat", "postgres", "redis", NODE}


def test_it_lists_every_variable_in_env_example() -> None:
    used = variables(COMPOSE) | variables(NODE_COMPOSE)

    assert used - set(env_example()) == set()


def test_it_ships_env_example_without_secrets() -> None:
    secrets = {
        name: value for name, value in env_example().items() if any(w in name for w in SECRET_WORDS)
    }

    assert secrets and all(value == "" for value in secrets.values()), secrets


def test_it_gives_privileges_only_to_the_network_node() -> None:
    for name, service in services().items():
        if name == NODE:
            continue
        assert "cap_add" not in service, name
        assert "devices" not in service, name
        assert not service.get("privileged"), name
        for key in ("network_mode", "pid", "ipc", "uts", "userns_mode"):
            assert service.get(key) != "host", (name, key)
        loosened = [
            opt
            for opt in service.get("security_opt", [])
            if "unconfined" in opt or "disable" in opt
        ]
        assert loosened == [], name


def test_it_gives_the_network_node_only_what_namespaces_need() -> None:
    node = services()[NODE]
    netns = [
        volume
        for volume in node["volumes"]
        if isinstance(volume, dict) and volume["source"] == volume["target"] == "/run/netns"
    ]

    assert set(node["cap_add"]) == {"NET_ADMIN", "SYS_ADMIN"}
    assert not node.get("privileged")
    assert node["network_mode"] == "host"
    assert [device.split(":")[0] for device in node["devices"]] == ["/dev/net/tun"]
    assert [volume["bind"]["propagation"] for volume in netns] == ["shared"]


def test_it_publishes_ports_only_for_web_postgres_and_redis() -> None:
    publishing = {name for name, service in services().items() if service.get("ports")}

    assert publishing <= PUBLISHING


def test_it_publishes_postgres_and_redis_only_on_the_internal_address() -> None:
    for name in INTERNAL:
        ports = published(services()[name])

        assert ports and all(port.startswith("${INTERNAL_BIND") for port in ports), (name, ports)


def test_it_publishes_nothing_on_every_interface_by_default() -> None:
    for name, service in substitute(services(), {}).items():
        for port in published(service):
            assert port.count(":") == 2, (name, port)  # host address:host port:container port
            assert port.split(":")[0] not in ("", "0.0.0.0", "::"), (name, port)


def test_it_writes_no_secret_into_the_environment() -> None:
    for name, service in services().items():
        for key, value in environment(service).items():
            if any(word in key for word in SECRET_WORDS):
                assert REQUIRED.fullmatch(value), (name, key, value)


def test_it_writes_no_password_into_a_url() -> None:
    for name, service in services().items():
        for key, value in environment(service).items():
            if match := URL_PASSWORD.match(value):
                assert REQUIRED.fullmatch(match["password"]), (name, key, value)


def test_it_never_defaults_a_secret() -> None:
    for path in compose_files():
        for text in strings(load(path)):
            for match in INTERPOLATION.finditer(text):
                if match["name"] and any(word in match["name"] for word in SECRET_WORDS):
                    assert match["op"] in (":?", "?"), (path.name, match[0])


def test_it_gives_the_agent_no_secret_key() -> None:
    env = environment(services()[NODE])

    assert env["PORTAL_ROLE"] == "agent"
    assert "SECRET_KEY" not in env
    assert env["DATABASE_URL"].startswith("postgres://${NODE_DB_USER:?}:")  # its own role


def test_it_lets_a_node_host_run_without_the_portal_secrets() -> None:
    assert variables(NODE_COMPOSE) & {"SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"} == set()


def test_it_restarts_every_long_running_service() -> None:
    for name, service in long_running().items():
        assert service.get("restart") in ("always", "unless-stopped"), name


def test_it_health_checks_every_long_running_service() -> None:
    for name, service in long_running().items():
        check = service.get("healthcheck", {})

        assert check.get("test") and not check.get("disable"), name


def test_it_migrates_once_before_the_portal_starts() -> None:
    migrate = services()["migrate"]
    waiting = {
        name
        for name, service in services().items()
        if service.get("depends_on", {}).get("migrate", {}).get("condition")
        == "service_completed_successfully"
    }

    assert migrate["restart"] == "no"
    assert waiting == {"web", "worker", "beat"}


def test_it_runs_the_portal_read_only_without_capabilities() -> None:
    portal = {
        name: service
        for name, service in services().items()
        if service.get("build", {}).get("dockerfile") == PORTAL_IMAGE
    }

    assert set(portal) == {"web", "migrate", "worker", "beat"}
    for name, service in portal.items():
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name


def test_it_builds_the_portal_image_for_a_non_root_user() -> None:
    users = re.findall(r"^USER\s+(\S+)", (ROOT / PORTAL_IMAGE).read_text(), flags=re.MULTILINE)

    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_it_builds_from_dockerfiles_that_exist() -> None:
    dockerfiles = dockerfiles_by_service()

    assert dockerfiles
    assert [name for name, (_, dockerfile) in dockerfiles.items() if not dockerfile.is_file()] == []


def test_it_copies_into_images_only_what_exists() -> None:
    for name, (context, dockerfile) in dockerfiles_by_service().items():
        for line in re.findall(r"^COPY\s+(.+)$", dockerfile.read_text(), flags=re.MULTILINE):
            sources = [word for word in line.split()[:-1] if not word.startswith("--")]

            assert all((context / source).exists() for source in sources), (name, line)


def test_it_copies_every_app_of_the_project_into_every_image() -> None:
    """Every image runs Django with the same INSTALLED_APPS: an app missing from one fails
    its start (the lab is installed only where PORTAL_LAB is set, never in an image)."""
    ours = sorted(app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir() and app != "lab")
    for name, (_context, dockerfile) in dockerfiles_by_service().items():
        copied = {
            line.split()[0]
            for line in re.findall(r"^COPY\s+(.+)$", dockerfile.read_text(), flags=re.MULTILINE)
        }
        assert [app for app in ours if app not in copied] == [], (name, dockerfile.name)
