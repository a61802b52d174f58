"""Front matter: cut the YAML block off a Markdown file and read it with line numbers.

A file starts with a line `---`, the YAML mapping, and another `---`; the Markdown body
follows. Every key and list item keeps the file line it was written on, so problems can
point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from bot.domain.content_model import Problem

FENCE = "---"


class _Loader(yaml.SafeLoader):
    """Safe YAML, except that dates stay strings: the schema checks them and can say where."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rule) for tag, rule in rules if tag != "tag:yaml.org,2002:timestamp"]
    for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class FrontMatter:
    """The parsed front matter and where things are in the file (1-based lines)."""

    data: dict[str, Any]
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]] = field(default_factory=dict)
    start_line: int = 1
    end_line: int = 1

    def line_of(self, key: str, item: int | None = None) -> int:
        if item is not None:
            lines = self.item_lines.get(key, [])
            if 0 <= item < len(lines):
                return lines[item]
        return self.key_lines.get(key, self.start_line)


@dataclass(frozen=True)
class SplitFile:
    """A content file cut in two: front matter (None when unreadable) and body."""

    front: FrontMatter | None
    body: str
    body_line: int
    problems: list[Problem]


def split_file(path: Path, text: str) -> SplitFile:
    """Separate the front matter from the body; report a missing or broken block."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        problem = Problem(path, 1, "the file must start with a '---' line opening the front matter")
        return SplitFile(None, text, 1, [problem])
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == FENCE), None)
    if closing is None:
        problem = Problem(path, 1, "the front matter is never closed by a '---' line")
        return SplitFile(None, "", len(lines), [problem])
    yaml_text = "\n".join(lines[1:closing])
    body = "\n".join(lines[closing + 1 :])
    front, problems = _read_yaml(path, yaml_text, first_line=2, end_line=closing + 1)
    return SplitFile(front, body, closing + 2, problems)


def _read_yaml(
    path: Path, yaml_text: str, *, first_line: int, end_line: int
) -> tuple[FrontMatter | None, list[Problem]]:
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(path, 1, "the front matter is empty")]
        if not isinstance(node, MappingNode):
            line = node.start_mark.line + first_line
            return None, [Problem(path, line, "the front matter must be a mapping of key: value")]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark is not None else 1
        reason = exc.problem or "unreadable YAML"
        return None, [Problem(path, line, f"front matter is not valid YAML: {reason}")]
    except yaml.YAMLError as exc:
        return None, [Problem(path, 1, f"front matter is not valid YAML: {exc}")]
    finally:
        loader.dispose()

    problems: list[Problem] = []
    key_lines: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + first_line
        if key in key_lines:
            problems.append(
                Problem(path, line, f"'{key}' is given twice (first on line {key_lines[key]})")
            )
            continue
        key_lines[key] = line
        if isinstance(value_node, SequenceNode):
            item_lines[key] = [item.start_mark.line + first_line for item in value_node.value]
    if not isinstance(data, dict):
        return None, [*problems, Problem(path, 1, "the front matter must be a mapping")]
    clean = {str(key): value for key, value in data.items()}
    return FrontMatter(clean, key_lines, item_lines, 1, end_line), problems
