"""The Bot API specification (methods, types, their fields) loaded from the bundled JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_SPEC_PATH = Path(__file__).parent / "spec" / "bot-api-spec.min.json"

# The discriminating field of a union member ("type", or "status" for ChatMember,
# "source" for ChatBoostSource) states its constant value only in prose.
_TAG_FIELDS = ("type", "status", "source")
_TAG_PATTERNS = (re.compile(r'always [“"]([a-z_]+)[”"]'), re.compile(r"must be ([a-z_]+)\b"))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""


@dataclass(frozen=True)
class TypeSpec:
    """An object type; a union lists `subtypes`, a union member may carry a `tag`."""

    name: str
    fields: dict[str, FieldSpec] | None
    subtypes: tuple[str, ...] = ()
    tag: tuple[str, str] | None = None

    @property
    def is_union(self) -> bool:
        return bool(self.subtypes)


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


def _fields(raw: list[dict[str, Any]]) -> dict[str, FieldSpec]:
    return {
        item["name"]: FieldSpec(
            name=item["name"],
            types=tuple(item["types"]),
            required=bool(item.get("required")),
            description=str(item.get("description", "")),
        )
        for item in raw
    }


def _tag_of(fields: dict[str, FieldSpec] | None) -> tuple[str, str] | None:
    if not fields:
        return None
    for name in _TAG_FIELDS:
        spec = fields.get(name)
        if spec is None or spec.types != ("String",):
            continue
        for pattern in _TAG_PATTERNS:
            match = pattern.search(spec.description)
            if match:
                return name, match.group(1)
    return None


class Spec:
    """Methods (looked up case-insensitively, like Telegram) and types of the Bot API."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = str(data.get("version", ""))
        self.methods: dict[str, MethodSpec] = {}
        self.types: dict[str, TypeSpec] = {}
        for name, raw in data["types"].items():
            fields = _fields(raw["fields"]) if "fields" in raw else None
            subtypes = tuple(raw.get("subtypes", ()))
            tag = _tag_of(fields) if raw.get("subtype_of") else None
            self.types[name] = TypeSpec(name, fields, subtypes, tag)
        for name, raw in data["methods"].items():
            self.methods[name] = MethodSpec(
                name, _fields(raw.get("fields", [])), tuple(raw.get("returns", ()))
            )
        self._by_lower = {name.lower(): spec for name, spec in self.methods.items()}

    def method(self, name: str) -> MethodSpec | None:
        return self._by_lower.get(name.lower())

    def union_member(self, union: TypeSpec, value: dict[str, Any]) -> TypeSpec | None:
        """The member of `union` whose tag matches the value, if the value carries one."""
        for member_name in union.subtypes:
            member = self.types.get(member_name)
            if member is None or member.tag is None:
                continue
            field_name, constant = member.tag
            if value.get(field_name) == constant:
                return member
        return None

    @classmethod
    def load(cls, path: Path | None = None) -> Spec:
        return _load(path or DEFAULT_SPEC_PATH)


@cache
def _load(path: Path) -> Spec:
    with path.open(encoding="utf-8") as handle:
        return Spec(json.load(handle))
