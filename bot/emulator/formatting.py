"""Formatted text: parse modes, entity offsets in UTF-16 units, trimming and length limits."""

from __future__ import annotations

from typing import Any

from bot.emulator import html, markdown
from bot.emulator.entities import FormattedText, utf16_len
from bot.emulator.errors import bad_request

_TRIMMED = " \t\r\n"


def trim(formatted: FormattedText) -> FormattedText:
    """Drop leading and trailing whitespace like Telegram, clipping entities to what is left."""
    text = formatted.text
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return formatted
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    end = lead + utf16_len(stripped)
    entities: list[dict[str, Any]] = []
    for entity in formatted.entities:
        start = max(entity["offset"], lead)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            entities.append({**entity, "offset": start - lead, "length": stop - start})
    return FormattedText(stripped, entities)


def parse(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> FormattedText:
    """The text a user sees, with its entities, as Telegram would build it."""
    if entities:
        return FormattedText(text, list(entities))
    mode = (parse_mode or "").lower()
    if mode in ("", "none"):
        return FormattedText(text)
    if mode == "html":
        return html.parse_html(text)
    if mode == "markdownv2":
        return markdown.parse_markdown_v2(text)
    if mode == "markdown":
        return markdown.parse_markdown(text)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}", kind="markup")


def check_entities(formatted: FormattedText, field_name: str) -> None:
    """Entities given explicitly must lie inside the text."""
    size = utf16_len(formatted.text)
    for entity in formatted.entities:
        offset, length = entity.get("offset", 0), entity.get("length", 0)
        if offset < 0 or length <= 0 or offset + length > size:
            raise bad_request(f"{field_name}: entity {entity.get('type')} is outside the text")


def formatted_field(
    params: dict[str, Any],
    text_field: str,
    mode_field: str,
    entities_field: str,
    *,
    limit: int,
    minimum: int = 1,
    what: str = "message text",
) -> FormattedText | None:
    """Parse one text parameter of a call and apply its length bounds (after parsing)."""
    if text_field not in params:
        return None
    given = params.get(entities_field)
    formatted = trim(parse(params[text_field], params.get(mode_field), given))
    if given:
        check_entities(formatted, entities_field)
    length = len(formatted.text)
    if length < minimum:
        raise bad_request(f"{what} is empty", kind="limit")
    if length > limit:
        description = "message is too long" if what == "message text" else f"{what} is too long"
        raise bad_request(f"{description} ({length} characters, at most {limit})", kind="limit")
    return formatted
