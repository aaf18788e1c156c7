"""deploy/ is not run by CI (no Docker daemon, no systemd as PID 1), so what can be checked
offline is: nginx accepts its configuration (`nginx -t`), systemd accepts the units
(`systemd-analyze verify`), the compose file mounts files that exist and runs two webhook
processes, and the container's broker configuration says what the production one says.
The tools are Debian packages; a machine without them skips those checks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from bot.runtime import WEBHOOK_PATH
from tests.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Settings of the broker that name a path (the container's differ) or where the log goes.
_PLACES = {"password_file", "acl_file", "certfile", "keyfile", "persistence_location", "log_dest"}
# What the operator provides (secrets, certificates): never in the repository.
_OPERATOR_FILES = {".env", "mosquitto/passwords", "mosquitto/certs", "nginx/certs"}


def _directives(path: Path) -> list[tuple[str, str]]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def test_the_containers_broker_is_configured_as_the_production_one() -> None:
    production = _directives(DEPLOY / "mosquitto" / "mosquitto.conf")
    container = _directives(DEPLOY / "mosquitto" / "compose.conf")
    assert [d for d in container if d[0] not in _PLACES] == [d for d in production if d[0] not in _PLACES]
    assert [k for k, _ in container if k in _PLACES] == [k for k, _ in production if k in _PLACES]


def test_compose_runs_two_webhook_processes_and_mounts_what_exists() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    for service in ("postgres", "redis", "mosquitto", "migrate", "web-1", "web-2", "nginx"):
        assert re.search(rf"^  {service}:$", compose, re.M), service
    assert "image: postgres:16" in compose and "image: redis:7" in compose
    assert "image: eclipse-mosquitto:2" in compose
    assert "BOT_MODE: webhook" in compose
    assert re.findall(r"PROCESS_NAME: (\S+)", compose) == ["web-1", "web-2"]
    assert "condition: service_completed_successfully" in compose  # after the migration
    mounted = re.findall(r"- \./([\w./-]+):", compose)
    assert mounted
    for path in mounted:
        assert path in _OPERATOR_FILES or (DEPLOY / path).is_file(), path
    assert (DEPLOY / "Dockerfile").is_file()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".env", ".venv", ".git", "deploy/.env", "deploy/mosquitto/passwords"} <= set(ignored)


def test_nginx_passes_the_public_endpoints_and_hides_the_metrics() -> None:
    conf = (DEPLOY / "nginx" / "parking.conf").read_text()
    for path in (WEBHOOK_PATH, "/stripe/webhook", "/payments/return", "/healthz"):
        assert re.search(rf"location = {re.escape(path)}\s+\{{ proxy_pass http://parking; \}}", conf), path
    assert "location /sms/               { proxy_pass http://parking; }" in conf  # twilio, status
    assert "location = /metrics { return 404; }" in conf


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if nginx is None or openssl is None:
        unavailable("nginx or openssl is not installed (Debian: apt-get install nginx-light openssl)")
    key, cert = str(tmp_path / "privkey.pem"), str(tmp_path / "fullchain.pem")
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=parking"]
    subprocess.run(
        [openssl, *request, "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "parking.conf").read_text()
    # The compose network's names resolve only there; the certificates are the operator's.
    site = site.replace("web-1:8080", "127.0.0.1:18081").replace("web-2:8080", "127.0.0.1:18082")
    (tmp_path / "site.conf").write_text(site.replace("/etc/nginx/certs", str(tmp_path)))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-q", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze is not installed (Debian: apt-get install systemd)")
    for unit in (DEPLOY / "systemd").glob("*.service"):
        # The virtualenv of the example's install path is not on this machine.
        text = unit.read_text().replace(
            "/opt/smart-parking-bot/.venv/bin/python", shutil.which("python3") or ""
        )
        (tmp_path / unit.name).write_text(text)
    (tmp_path / "smart-parking-bot@8081.service").symlink_to(tmp_path / "smart-parking-bot@.service")
    result = subprocess.run(
        [
            analyze,
            "verify",
            "--man=no",
            "smart-parking-bot@8081.service",
            "smart-parking-bot-migrate.service",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    ours = [line for line in result.stderr.splitlines() if "smart-parking-bot" in line]
    assert result.returncode == 0 and ours == [], result.stderr
    template = (DEPLOY / "systemd" / "smart-parking-bot@.service").read_text()
    assert "Restart=on-failure" in template
    assert "EnvironmentFile=/etc/smart-parking-bot/parking.env" in template
    assert "HTTP_PORT=%i" in template
