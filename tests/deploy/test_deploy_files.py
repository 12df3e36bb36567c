"""The deploy/ folder holds together: the Compose file (by `docker compose config` where Docker
Compose exists, and always by a schema check), the Caddyfiles' upstreams and health checks, the
systemd units (by `systemd-analyze verify` where it exists, and always by parsing), the Dockerfile's
install steps, and hop.env.example against the real settings."""

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from cli.main import app as hop_app
from cli.serve import GRACEFUL_SECONDS
from web.drain import SETTLE_SECONDS
from web.settings import Settings

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
ENV_EXAMPLE = DEPLOY / "hop.env.example"
# What a stop must leave a draining process: the proxy's notice, the sockets' reconnection and
# the requests in flight (web.drain, cli.serve), with the default HOP_DRAIN_SECONDS.
DRAIN_BUDGET = Settings.model_fields["drain_seconds"].default + SETTLE_SECONDS + GRACEFUL_SECONDS


def compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def hop_services(services: dict[str, Any]) -> dict[str, Any]:
    return {name: s for name, s in services.items() if s.get("command", [])[:2] == ["hop", "serve"]}


def hop_commands() -> set[str]:
    return set(typer.main.get_command(hop_app).commands)  # type: ignore[attr-defined]


def seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min|m)?", text.strip())
    assert match, text
    return float(match.group(1)) * (60 if match.group(2) in {"m", "min"} else 1)


# Compose


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    version = shutil.which("docker") and subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False
    )
    if not version or version.returncode != 0:
        pytest.skip("Docker Compose is not installed: the schema checks below stand in for it")
    folder = tmp_path / "deploy"
    shutil.copytree(DEPLOY, folder)
    shutil.copyfile(ENV_EXAMPLE, folder / "hop.env")
    done = subprocess.run(
        ["docker", "compose", "--env-file", "hop.env", "-f", "compose.yaml", "config", "--quiet"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_compose_has_the_services_a_city_needs() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "caddy"} <= set(services)
    assert len(hop_services(services)) >= 2
    assert services["migrate"]["command"] == ["hop", "migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert any("/var/lib/postgresql/data" in v for v in services["postgres"]["volumes"])
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])


def test_every_hop_process_shares_postgresql_redis_and_the_data_folder() -> None:
    data = compose()
    for name, service in hop_services(data["services"]).items():
        env = service["environment"]
        assert env["HOP_DATABASE_URL"].startswith("postgresql://"), name
        assert "@postgres:5432/" in env["HOP_DATABASE_URL"], name
        assert env["HOP_REDIS_URL"].startswith("redis://redis:"), name
        volume, _, mount = service["volumes"][0].partition(":")
        assert mount == env["HOP_DATA_DIR"], name
        assert volume in data["volumes"], name
        assert service["env_file"] == "hop.env", name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_hop_process_has_a_health_check_and_time_to_drain() -> None:
    for name, service in hop_services(compose()["services"]).items():
        probe = " ".join(service["healthcheck"]["test"])
        assert "/healthz" in probe or "/readyz" in probe, name
        assert service["stop_signal"] == "SIGTERM", name
        assert seconds(service["stop_grace_period"]) > DRAIN_BUDGET, name
        assert service["restart"] == "unless-stopped", name


# Caddy


def upstreams(caddyfile: Path) -> list[str]:
    text = caddyfile.read_text()
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    proxies = [line.split()[1:] for line in lines if line.startswith("reverse_proxy ")]
    assert len(proxies) == 1, proxies
    return [token for token in proxies[0] if token != "{"]


def directives(caddyfile: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in caddyfile.read_text().splitlines():
        words = line.split("#")[0].split(maxsplit=1)
        if len(words) == 2:
            found.setdefault(words[0], words[1].strip())
    return found


@pytest.mark.parametrize("caddyfile", [DEPLOY / "Caddyfile", UNITS / "Caddyfile"])
def test_caddy_balances_on_readiness_without_sticky_sessions(caddyfile: Path) -> None:
    found = directives(caddyfile)
    assert found["health_uri"] == "/readyz"
    # The proxy must notice a draining process before it closes its sockets.
    assert seconds(found["health_interval"]) < Settings.model_fields["drain_seconds"].default
    assert found["lb_policy"] not in {"cookie", "ip_hash", "client_ip_hash", "header"}
    assert "lb_try_duration" in found
    assert found["respond"] == "@metrics 404"


@pytest.mark.parametrize("caddyfile", [DEPLOY / "Caddyfile", UNITS / "Caddyfile"])
def test_caddy_accepts_the_file(caddyfile: Path) -> None:
    version = shutil.which("caddy") and subprocess.run(
        ["caddy", "version"], capture_output=True, text=True, check=False
    )
    found = re.match(r"v?(\d+)\.(\d+)", version.stdout) if version else None
    # health_passes, health_fails and stream_close_delay came with Caddy 2.7.
    if found is None or (int(found.group(1)), int(found.group(2))) < (2, 7):
        pytest.skip("Caddy 2.7 or newer is not installed: the checks above stand in for it")
    done = subprocess.run(
        ["caddy", "adapt", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env={"HOP_PUBLIC_URL": "https://hop.example.org", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_compose_caddyfile_names_exactly_the_hop_services() -> None:
    names = hop_services(compose()["services"])
    assert sorted(upstreams(DEPLOY / "Caddyfile")) == sorted(f"{name}:8000" for name in names)
    for service in names.values():
        assert service["command"][-2:] == ["--port", "8000"]


def test_the_machine_caddyfile_names_the_units_ports() -> None:
    for upstream in upstreams(UNITS / "Caddyfile"):
        host, _, port = upstream.rpartition(":")
        assert host == "127.0.0.1"
        assert 1024 < int(port) < 65536


# systemd


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / name).read_text())
    return parser


def exec_start(parser: configparser.RawConfigParser) -> list[str]:
    words = shlex.split(parser["Service"]["ExecStart"])
    assert Path(words[0]).name == "hop", words
    assert words[1] in hop_commands(), words
    return words


def test_the_server_unit_runs_hop_serve_and_lets_it_drain() -> None:
    parser = unit("hop@.service")
    service = parser["Service"]
    words = exec_start(parser)
    assert words[1] == "serve"
    assert words[words.index("--port") + 1] == "%i"
    assert service["KillSignal"] == "SIGTERM"
    assert seconds(service["TimeoutStopSec"]) > DRAIN_BUDGET
    assert service["Restart"] in {"always", "on-failure"}
    assert service["EnvironmentFile"] == "/etc/hop/hop.env"
    assert service["User"] not in {"", "root"}
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert "hop-migrate.service" in parser["Unit"]["Requires"]
    assert "hop-migrate.service" in parser["Unit"]["After"]
    assert "WantedBy" in parser["Install"]


def test_the_migration_unit_is_a_oneshot_hop_migrate() -> None:
    parser = unit("hop-migrate.service")
    assert exec_start(parser)[1:] == ["migrate"]
    assert parser["Service"]["Type"] == "oneshot"
    assert parser["Service"]["EnvironmentFile"] == "/etc/hop/hop.env"


def test_the_backup_unit_runs_nightly_into_dated_archives() -> None:
    parser = unit("hop-backup.service")
    assert exec_start(parser)[1:] == ["backup", "--dated", "/var/backups/hop/hop.tar"]
    assert parser["Service"]["Type"] == "oneshot"
    assert "/var/backups/hop" in parser["Service"]["ReadWritePaths"]
    timer = unit("hop-backup.timer")
    assert timer["Timer"]["OnCalendar"]
    assert timer["Timer"]["Persistent"] == "true"


@pytest.mark.parametrize("name", sorted(p.name for p in UNITS.glob("*.service")))
def test_every_unit_runs_a_hop_command_from_the_environment_file(name: str) -> None:
    parser = unit(name)
    exec_start(parser)
    assert parser["Service"]["EnvironmentFile"] == "/etc/hop/hop.env"
    assert parser["Service"]["User"] == "hop"


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the parsing checks above stand in for it")
    hop = Path(sys.executable).parent / "hop"
    names = []
    for path in UNITS.glob("hop*"):
        text = path.read_text().replace("/opt/hop/.venv/bin/hop", str(hop))
        (tmp_path / path.name).write_text(text)
        names.append(path.name.replace("@.", "@8001."))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(names)],
        cwd=tmp_path,
        env={"SYSTEMD_UNIT_PATH": f"{tmp_path}:", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    # It warns (unknown keys, bad values) on stderr and still exits 0: silence is the pass.
    assert done.returncode == 0, done.stderr
    assert done.stdout + done.stderr == ""


# The image


def test_the_image_installs_hop_as_make_install_does() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    for step in (
        "dlib-bin face-recognition-models",
        '--no-deps "face_recognition>=1.3"',
        '"setuptools<82"',
        "npm ci",
        "pip install -e .",
        "postgresql-client",
        "fonts-dejavu-core",
    ):
        assert step in dockerfile, step
    makefile = (ROOT / "Makefile").read_text()
    assert '"setuptools<82"' in makefile
    assert '--no-deps "face_recognition>=1.3"' in makefile
    assert 'CMD ["hop", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert re.search(r"^USER hop$", dockerfile, re.M)


# Settings


def example_names() -> set[str]:
    """The settings hop.env.example mentions, set or left commented out."""
    pattern = re.compile(r"^#?\s*(HOP_[A-Z0-9_]+)=", re.M)
    return set(pattern.findall(ENV_EXAMPLE.read_text()))


def test_the_env_example_names_every_setting_and_only_settings() -> None:
    fields = {f"HOP_{name.upper()}" for name in Settings.model_fields}
    assert sorted(fields - example_names()) == [], "settings missing from hop.env.example"
    assert sorted(example_names() - fields) == [], "hop.env.example names unknown settings"


def test_the_env_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("HOP_"):
            monkeypatch.delenv(name)
    settings = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert settings.database_url.startswith("postgresql://")
    assert settings.redis_url
    assert settings.public_url.startswith("https://")
    assert settings.log_format == "json"
