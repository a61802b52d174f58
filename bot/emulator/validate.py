"""Type checking of Bot API calls (and of the emulator's own answers) against the spec."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from bot.emulator.errors import ApiError, bad_request
from bot.emulator.request import RawParams, Upload
from bot.emulator.spec import MethodSpec, Spec, TypeSpec

_INTEGER = re.compile(r"-?\d+")
_ARRAY = "Array of "
_ATTACH = "attach://"
# Form values are tried as the narrowest type first, so "123" for Integer|String is an Integer.
_ORDER = {"Integer": 0, "Float": 1, "Boolean": 2, "String": 8, "InputFile": 9}


class Mismatch(Exception):
    """A value that does not fit its declared type, with the path to it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


def _type_label(types: Sequence[str]) -> str:
    return " or ".join(types)


class Validator:
    """Checks parameters and objects against the spec, returning normalized values."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def check(self, value: Any, types: Sequence[str], path: str) -> Any:
        """A JSON value (inside an object or array) checked against any of `types`."""
        if len(types) == 1:
            return self._check_one(value, types[0], path)
        failures: list[tuple[int, Mismatch]] = []
        for type_name in types:
            try:
                return self._check_one(value, type_name, path)
            except Mismatch as exc:
                failures.append((self._affinity(value, type_name), exc))
        if all(score == 0 for score, _ in failures):
            raise Mismatch(path, f"must be of type {_type_label(types)}")
        raise max(failures, key=lambda item: item[0])[1]

    def _affinity(self, value: Any, type_name: str) -> int:
        """How much a value looks like `type_name`, to report the most relevant failure."""
        spec = self.spec.types.get(type_name)
        if spec is None or not isinstance(value, dict):
            return 0
        if spec.is_union:
            member = self.spec.union_member(spec, value)
            return 100 if member else 0
        if spec.tag and value.get(spec.tag[0]) == spec.tag[1]:
            return 100
        return len(set(value) & set(spec.fields or {}))

    def _check_one(self, value: Any, type_name: str, path: str) -> Any:
        if type_name.startswith(_ARRAY):
            if not isinstance(value, list):
                raise Mismatch(path, f"must be of type {type_name}")
            item_type = type_name[len(_ARRAY) :]
            return [
                self._check_one(item, item_type, f"{path}[{i}]") for i, item in enumerate(value)
            ]
        if type_name == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and _INTEGER.fullmatch(value):
                return int(value)
            raise Mismatch(path, "must be of type Integer")
        if type_name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                return self._parse_float(value, path)
            raise Mismatch(path, "must be of type Float")
        if type_name == "Boolean":
            if isinstance(value, bool):
                return value
            raise Mismatch(path, "must be of type Boolean")
        if type_name in ("String", "InputFile"):
            if isinstance(value, str) or (type_name == "InputFile" and isinstance(value, Upload)):
                return value
            raise Mismatch(path, f"must be of type {type_name}")
        spec = self.spec.types.get(type_name)
        if spec is None:
            raise Mismatch(path, f"has unknown type {type_name}")
        return self._check_object(value, spec, path)

    def _check_object(self, value: Any, spec: TypeSpec, path: str) -> Any:
        if spec.is_union:
            if isinstance(value, dict):
                member = self.spec.union_member(spec, value)
                if member is not None:
                    return self._check_object(value, member, path)
                tags = {
                    self.spec.types[name].tag for name in spec.subtypes if name in self.spec.types
                }
                tag_fields = {tag[0] for tag in tags if tag}
                for field_name in tag_fields:
                    if field_name in value:
                        raise Mismatch(
                            f"{path}.{field_name}",
                            f"unsupported {spec.name} {field_name} {value[field_name]!r}",
                        )
            return self.check(value, spec.subtypes, path)
        if not isinstance(value, dict):
            raise Mismatch(path, f"must be a JSON object of type {spec.name}")
        if spec.fields is None:
            return value
        prefix = f"{path}." if path else ""
        for key in value:
            if key not in spec.fields:
                raise Mismatch(f"{prefix}{key}", f"unknown field of {spec.name}")
        result: dict[str, Any] = {}
        for name, field in spec.fields.items():
            if name not in value:
                if field.required:
                    raise Mismatch(f"{prefix}{name}", f"required field of {spec.name} is missing")
                continue
            result[name] = self.check(value[name], field.types, f"{prefix}{name}")
        if spec.tag and result.get(spec.tag[0]) != spec.tag[1]:
            field_name, constant = spec.tag
            raise Mismatch(f"{prefix}{field_name}", f"must be {constant!r} for {spec.name}")
        return result

    @staticmethod
    def _parse_float(text: str, path: str) -> float:
        try:
            number = float(text)
        except ValueError:
            raise Mismatch(path, "must be of type Float") from None
        if not math.isfinite(number):
            raise Mismatch(path, "must be a finite Float")
        return number

    def coerce(self, text: str, types: Sequence[str], path: str) -> Any:
        """A top-level parameter (always a string on the wire) read as one of `types`."""
        failures: list[Mismatch] = []
        for type_name in sorted(types, key=lambda name: _ORDER.get(name, 5)):
            try:
                return self._coerce_one(text, type_name, path)
            except Mismatch as exc:
                failures.append(exc)
        if len(failures) == 1 and failures[0].path != path:
            raise failures[0]
        structured = [f for f in failures if f.path != path]
        if structured:
            raise structured[0]
        raise Mismatch(path, f"must be of type {_type_label(types)}")

    def _coerce_one(self, text: str, type_name: str, path: str) -> Any:
        if type_name == "Integer":
            if _INTEGER.fullmatch(text):
                return int(text)
            raise Mismatch(path, "must be of type Integer")
        if type_name == "Float":
            return self._parse_float(text, path)
        if type_name == "Boolean":
            lowered = text.lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            raise Mismatch(path, "must be of type Boolean")
        if type_name in ("String", "InputFile"):
            return text
        try:
            value = json.loads(text)
        except ValueError:
            raise Mismatch(path, f"can't parse JSON for type {type_name}") from None
        return self._check_one(value, type_name, path)

    def validate_call(self, method: MethodSpec, raw: RawParams) -> dict[str, Any]:
        """Decoded parameters of a call, or a 400 ApiError for the first contract breach."""
        provided = set(raw.values) | set(raw.files)
        for name, field in method.fields.items():
            if field.required and name not in provided:
                description = f'parameter "{name}" is required'
                if method.name == "sendMessage" and name == "text":
                    description = "message text is empty"
                raise bad_request(description, kind="missing_parameter")
        for name in raw.values:
            if name not in method.fields:
                raise bad_request(
                    f'unknown parameter "{name}" for method {method.name}', kind="unknown_parameter"
                )
        params: dict[str, Any] = {}
        for name, text in raw.values.items():
            try:
                params[name] = self.coerce(text, method.fields[name].types, name)
            except Mismatch as exc:
                raise bad_request(str(exc), kind="wrong_type") from None
        self._bind_files(method, raw, params)
        return params

    def _bind_files(self, method: MethodSpec, raw: RawParams, params: dict[str, Any]) -> None:
        references: set[str] = set()
        _collect_attachments(params, references)
        for name, upload in raw.files.items():
            field = method.fields.get(name)
            if name in references:
                continue
            if field is not None and name not in raw.values:
                if "InputFile" not in field.types:
                    raise bad_request(
                        f'parameter "{name}" must be of type {_type_label(field.types)}',
                        kind="wrong_type",
                    )
                params[name] = upload
                continue
            raise bad_request(
                f'unknown file part "{name}" for method {method.name}', kind="unknown_parameter"
            )
        for reference in sorted(references):
            if reference not in raw.files:
                raise bad_request(f'file "attach://{reference}" is not in the request')
        for name, value in params.items():
            field = method.fields[name]
            if "InputFile" in field.types and isinstance(value, str) and value.startswith(_ATTACH):
                params[name] = raw.files[value[len(_ATTACH) :]]

    def check_result(self, value: Any, returns: Sequence[str]) -> None:
        """Raise if an answer of the emulator does not fit the method's return type."""
        try:
            self.check(value, returns, "result")
        except Mismatch as exc:
            raise ApiError(500, f"emulator produced an invalid result: {exc}") from exc


def _collect_attachments(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if value.startswith(_ATTACH):
            found.add(value[len(_ATTACH) :])
    elif isinstance(value, dict):
        for item in value.values():
            _collect_attachments(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_attachments(item, found)
