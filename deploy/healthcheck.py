"""Container health check for Cảnh Giác: exit 0 when healthy, 1 otherwise.

The bot has no HTTP health endpoint, so this checks what exists:

* polling and webhook mode: a live `canhgiac run` (or `python -m bot run`) process, i.e. the
  migrations are done and the bot has started;
* webhook mode (WEBHOOK_URL set): also that the webhook server accepts TCP connections on
  WEBHOOK_HOST:WEBHOOK_PORT.

Used by the Dockerfile's HEALTHCHECK; it makes no request to Telegram.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

DEAD_STATES = {"Z", "X", "x", "T", "t"}  # zombie, dead, stopped, traced


def _is_bot(argv: list[bytes]) -> bool:
    names = [os.path.basename(arg) for arg in argv]
    if b"canhgiac" in names:
        return b"run" in argv[names.index(b"canhgiac") + 1 :]
    if b"-m" in argv:
        rest = argv[argv.index(b"-m") + 1 :]
        return rest[:2] == [b"bot", b"run"]
    return False


def bot_process_alive() -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = [arg for arg in (entry / "cmdline").read_bytes().split(b"\0") if arg]
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in DEAD_STATES and _is_bot(argv):
            return True
    return False


def webhook_listening() -> bool:
    from bot.settings import Settings

    settings = Settings()
    if not settings.webhook_url:
        return True
    host = settings.webhook_host
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    try:
        socket.create_connection((host, settings.webhook_port), timeout=3).close()
    except OSError:
        return False
    return True


def main() -> int:
    if not bot_process_alive():
        print("unhealthy: no `canhgiac run` process", file=sys.stderr)
        return 1
    try:
        listening = webhook_listening()
    except Exception as exc:  # settings that do not load: the bot cannot be serving either
        # Only the class name: a validation message may quote a secret's value.
        print(f"unhealthy: settings do not load ({exc.__class__.__name__})", file=sys.stderr)
        return 1
    if not listening:
        print("unhealthy: webhook port not accepting connections", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
