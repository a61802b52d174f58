"""Files the bot uploads or references: ids, image sizes, PhotoSize and Document objects."""

from __future__ import annotations

import mimetypes
import secrets
import struct
from typing import Any

from bot.emulator.errors import bad_request, refused
from bot.emulator.request import Upload
from bot.emulator.state import State, StoredFile

PHOTO_LIMIT = 10 * 1024 * 1024
DOCUMENT_LIMIT = 50 * 1024 * 1024
_PHOTO_SIDES = (90, 320, 800, 1280)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, read from its header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + length
    return None


def _new_file(
    state: State,
    prefix: str,
    data: bytes | None,
    filename: str | None,
    mime: str | None,
    url: str | None = None,
) -> StoredFile:
    file_id = f"{prefix}{secrets.token_urlsafe(24)}"
    number = len(state.files) + 1
    suffix = filename.rsplit(".", 1)[-1] if filename and "." in filename else "bin"
    folder = "photos" if prefix.startswith("AgAC") else "documents"
    stored = StoredFile(
        file_id=file_id,
        unique_id=secrets.token_urlsafe(10),
        data=data,
        filename=filename,
        mime_type=mime,
        path=f"{folder}/file_{number}.{suffix}",
        url=url,
    )
    state.files[file_id] = stored
    return stored


def resolve_input(
    state: State, value: Upload | str, *, kind: str, limit: int
) -> tuple[bytes | None, str | None, str | None, str | None]:
    """(bytes, filename, mime type, file_id-or-URL) of an InputFile parameter."""
    if isinstance(value, Upload):
        if len(value.data) > limit:
            raise bad_request(f"{kind} is too big ({len(value.data)} bytes)", kind="limit")
        if not value.data:
            raise bad_request(f"{kind} file is empty", kind="limit")
        mime = value.content_type
        if mime in ("application/octet-stream", ""):
            mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
        return value.data, value.filename, mime, None
    if value.startswith(("http://", "https://")):
        return None, value.rsplit("/", 1)[-1] or None, None, value
    stored = state.files.get(value)
    if stored is None:
        raise refused("wrong file identifier/HTTP URL specified")
    return stored.data, stored.filename, stored.mime_type, value


def photo_sizes(
    state: State, data: bytes | None, filename: str | None, mime: str | None, url: str | None
) -> list[dict[str, Any]]:
    width, height = (image_size(data) if data else None) or (1280, 960)
    longest = max(width, height, 1)
    sides = [side for side in _PHOTO_SIDES if side < longest] + [min(longest, 2560)]
    sizes: list[dict[str, Any]] = []
    for side in sides:
        scale = side / longest
        stored = _new_file(state, "AgACAgIAAxkBAAI", data, filename, mime, url)
        size: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "width": max(1, round(width * scale)),
            "height": max(1, round(height * scale)),
        }
        if data is not None:
            size["file_size"] = len(data)
        sizes.append(size)
    return sizes


def document_object(
    state: State, data: bytes | None, filename: str | None, mime: str | None, url: str | None
) -> dict[str, Any]:
    stored = _new_file(state, "BQACAgIAAxkBAAI", data, filename, mime, url)
    document: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.unique_id}
    if filename:
        document["file_name"] = filename
    if mime:
        document["mime_type"] = mime
    if data is not None:
        document["file_size"] = len(data)
    return document


def file_object(stored: StoredFile) -> dict[str, Any]:
    result: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.unique_id}
    if stored.data is not None:
        result["file_size"] = len(stored.data)
        result["file_path"] = stored.path
    return result
