"""Decoding of Bot API parameters from query string, JSON, url-encoded and multipart bodies.

Telegram's server turns every top-level value into a string before reading it
per the method's parameter types, so JSON scalars and objects are flattened to
strings here too; nested objects keep their JSON types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from bot.emulator.errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RawParams:
    """Parameters before validation: strings by name, plus uploaded file parts."""

    values: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The parameters for logs: file parts become a short description."""
        result: dict[str, Any] = dict(self.values)
        for name, upload in self.files.items():
            result[name] = f"<file {upload.filename} {len(upload.data)} bytes>"
        return result


def _as_string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def from_mapping(data: Mapping[str, Any]) -> RawParams:
    """Parameters from a JSON object (a body or a control call)."""
    raw = RawParams()
    for key, value in data.items():
        text = _as_string(value)
        if text is not None:
            raw.values[str(key)] = text
    return raw


async def read_multipart(reader: MultipartReader, raw: RawParams) -> None:
    while True:
        part = await reader.next()
        if part is None:
            return
        if not isinstance(part, BodyPartReader):
            raise bad_request("nested multipart bodies are not supported")
        name = part.name
        if not name:
            raise bad_request("a multipart part has no name")
        data = await part.read(decode=True)
        if part.filename is not None:
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            raw.files[name] = Upload(name, part.filename, content_type, bytes(data))
        else:
            charset = part.get_charset(default="utf-8")
            raw.values[name] = bytes(data).decode(charset)


async def read_request(request: web.Request) -> RawParams:
    """Query string merged with the body, whatever its content type."""
    raw = RawParams()
    for key, value in request.query.items():
        raw.values[key] = value
    if not request.can_read_body:
        return raw
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if not body.strip():
            return raw
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise bad_request(f"can't parse JSON body: {exc}") from exc
        if not isinstance(data, dict):
            raise bad_request("the JSON body must be an object")
        raw.values.update(from_mapping(data).values)
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        for key, item in form.items():
            if isinstance(item, str):
                raw.values[key] = item
    elif content_type.startswith("multipart/"):
        await read_multipart(await request.multipart(), raw)
    else:
        await request.read()
    return raw
