"""The deployment files agree with each other and with the settings: the settings template
loads, the image's home and the Compose mounts are where the admin commands expect them, and
the deployment guide shows each admin command under Compose and under systemd."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
ADMIN_COMMANDS = [
    "units import",
    "units list",
    "invite create",
    "invite list",
    "invite revoke",
    "grant",
    "stats report",
    "broadcast send",
    "reminders add",
    "reminders list",
]


def test_the_settings_template_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CANHGIAC_HOME", "DATABASE_URL", "CONTENT_DIR", "QUIZZES_DIR", "HOLIDAYS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=DEPLOY / ".env.example")
    assert settings.home == DEPLOY
    assert settings.database_file == DEPLOY / "data" / "canhgiac.db"
    assert settings.content_dir == DEPLOY / "content"
    assert settings.holidays == [] and settings.holiday_calendar == "VN"
    assert settings.holiday_rules().calendar is not None


def test_the_image_and_compose_agree_on_the_folders() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "WORKDIR /app" in dockerfile
    assert re.search(r"CANHGIAC_HOME=/app\b", dockerfile)
    assert re.search(r"mkdir -p /app/data /app/files", dockerfile)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    volumes = compose["services"]["bot"]["volumes"]
    assert "bot-data:/app/data" in volumes and "./files:/app/files" in volumes
    unit = (DEPLOY / "canhgiac.service").read_text(encoding="utf-8")
    assert "Environment=CANHGIAC_HOME=/opt/canhgiac" in unit
    assert "WorkingDirectory=/opt/canhgiac" in unit


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
def test_the_guide_shows_each_admin_command_both_ways(command: str) -> None:
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert f"docker compose exec bot canhgiac {command}" in guide
    assert f"\ncg {command}" in guide
    assert "--env-file /etc/canhgiac/canhgiac.env" in guide


def test_the_guide_names_files_inside_the_mount() -> None:
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    with_files = [
        line
        for line in guide.splitlines()
        if line.startswith("docker compose exec bot canhgiac")
        and re.search(r"(-o|--qr|import) ", line)
    ]
    assert len(with_files) == 3
    assert all(re.search(r"(-o|--qr|import) +files/", line) for line in with_files), with_files
    assert "deploy/files/" in (PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8")
