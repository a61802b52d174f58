"""Errors raised while serving a Bot API call, shaped like Telegram's answers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Telegram error answer.

    `violation` marks a call that breaks the Bot API contract (unknown method or
    parameter, wrong type, a documented limit, malformed markup); plain Telegram
    refusals (not found, not modified, blocked, 429) leave it False.
    """

    def __init__(
        self,
        status: int,
        description: str,
        *,
        violation: bool = False,
        kind: str = "",
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.kind = kind
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str, *, kind: str = "params") -> ApiError:
    """A 400 answer for a call that breaks the Bot API contract."""
    return ApiError(400, f"Bad Request: {description}", violation=True, kind=kind)


def refused(description: str, status: int = 400) -> ApiError:
    """A normal Telegram refusal of a well-formed call (not a violation)."""
    prefix = {400: "Bad Request", 403: "Forbidden", 409: "Conflict"}.get(status, "Error")
    return ApiError(status, f"{prefix}: {description}")


def entity_error(description: str) -> ApiError:
    return bad_request(f"can't parse entities: {description}", kind="markup")
