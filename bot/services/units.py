"""The unit tree: loading it, walking it, and importing units from a CSV file.

A tree runs province or agency → agency, enterprise or school → department or class, to any
depth. The CSV has the columns `code, name, kind, parent_code`; a parent may come later in the
file than its children. Importing twice changes nothing; each bad row is reported with its line
and the good rows are kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Unit, UnitKind

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
NAME_MAX = 200
COLUMNS = ("code", "name", "kind", "parent_code")
ROOT_ONLY_UNDER = {UnitKind.PROVINCE.value: {UnitKind.PROVINCE.value}}
NEEDS_PARENT = {UnitKind.DEPARTMENT.value, UnitKind.CLASS.value}


def normalise_unit_code(raw: str) -> str:
    return raw.strip().upper()


@dataclass(frozen=True)
class UnitNode:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


@dataclass
class UnitTree:
    """Every unit, with parent and children links; cheap to load (a few thousand rows)."""

    nodes: dict[int, UnitNode]
    children_of: dict[int | None, list[int]] = field(default_factory=dict)
    by_code: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, nodes: Iterable[UnitNode]) -> UnitTree:
        tree = cls({node.id: node for node in nodes})
        for node in sorted(tree.nodes.values(), key=lambda n: n.code):
            parent = node.parent_id if node.parent_id in tree.nodes else None
            tree.children_of.setdefault(parent, []).append(node.id)
            tree.by_code[node.code] = node.id
        return tree

    def get(self, unit_id: int) -> UnitNode | None:
        return self.nodes.get(unit_id)

    def find(self, code: str) -> UnitNode | None:
        unit_id = self.by_code.get(normalise_unit_code(code))
        return None if unit_id is None else self.nodes[unit_id]

    def roots(self) -> list[int]:
        return list(self.children_of.get(None, []))

    def children(self, unit_id: int) -> list[int]:
        return list(self.children_of.get(unit_id, []))

    def ancestors(self, unit_id: int) -> list[int]:
        """The unit, its parent, … up to its root."""
        chain: list[int] = []
        current: int | None = unit_id
        while current is not None and current in self.nodes and current not in chain:
            chain.append(current)
            current = self.nodes[current].parent_id
        return chain

    def descendants(self, unit_id: int) -> list[int]:
        """The unit and everything below it, parents before children."""
        found: list[int] = []
        stack = [unit_id]
        seen: set[int] = set()
        while stack:
            current = stack.pop()
            if current in seen or current not in self.nodes:
                continue
            seen.add(current)
            found.append(current)
            stack.extend(reversed(self.children(current)))
        return found

    def depth(self, unit_id: int) -> int:
        return len(self.ancestors(unit_id)) - 1


async def load_tree(session: AsyncSession) -> UnitTree:
    rows = (await session.exec(select(Unit))).all()
    return UnitTree.of(
        UnitNode(unit.id, unit.code, unit.name, unit.kind, unit.parent_id)
        for unit in rows
        if unit.id is not None
    )


# --- CSV import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        where = f" ({self.code})" if self.code else ""
        return f"line {self.line}{where}: {self.message}"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name: str
    kind: str
    parent_code: str


def read_rows(text: str) -> tuple[list[_Row], list[RowProblem]]:
    """Parse the CSV (comma or semicolon, optional BOM); check each row on its own."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        return [], [RowProblem(1, "", f"missing column(s): {', '.join(missing)}")]
    index = {column: header.index(column) for column in COLUMNS}
    rows: list[_Row] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(RowProblem(line, "", f"unreadable row: {exc}"))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in index.items()}
        row = _Row(
            line,
            normalise_unit_code(values["code"]),
            " ".join(values["name"].split()),
            values["kind"].strip().lower(),
            normalise_unit_code(values["parent_code"]),
        )
        problem = _row_problem(row, seen)
        if problem:
            problems.append(RowProblem(line, row.code, problem))
            continue
        seen[row.code] = line
        rows.append(row)
    return rows, problems


def _row_problem(row: _Row, seen: dict[str, int]) -> str | None:
    kinds = [kind.value for kind in UnitKind]
    if not CODE_PATTERN.match(row.code):
        return "code must be 1-32 letters, digits, '-' or '_'"
    if row.code in seen:
        return f"code already used on line {seen[row.code]}"
    if not row.name:
        return "name is empty"
    if len(row.name) > NAME_MAX:
        return f"name is longer than {NAME_MAX} characters"
    if row.kind not in kinds:
        return f"kind must be one of {', '.join(kinds)}"
    if row.parent_code == row.code:
        return "a unit cannot be its own parent"
    if row.parent_code and not CODE_PATTERN.match(row.parent_code):
        return "parent_code is not a valid code"
    if row.kind in NEEDS_PARENT and not row.parent_code:
        return f"a {row.kind} needs a parent_code"
    return None


async def import_units(session: AsyncSession, text: str) -> ImportResult:
    """Create or update the units of a CSV; commits the good rows."""
    rows, problems = read_rows(text)
    result = ImportResult(problems=problems)
    existing = {unit.code: unit for unit in (await session.exec(select(Unit))).all()}
    by_code = {row.code: row for row in rows}
    accepted = _resolve(rows, by_code, existing, result)
    for row in _parents_first(accepted, by_code):
        parent = existing.get(row.parent_code) if row.parent_code else None
        parent_id = parent.id if parent is not None else None
        unit = existing.get(row.code)
        if unit is None:
            unit = Unit(code=row.code, name=row.name, kind=row.kind, parent_id=parent_id)
            session.add(unit)
            await session.flush()
            existing[row.code] = unit
            result.created.append(row.code)
        elif (unit.name, unit.kind, unit.parent_id) != (row.name, row.kind, parent_id):
            unit.name, unit.kind, unit.parent_id = row.name, row.kind, parent_id
            result.updated.append(row.code)
        else:
            result.unchanged.append(row.code)
    await session.commit()
    result.problems.sort(key=lambda problem: problem.line)
    return result


def _resolve(
    rows: list[_Row], by_code: dict[str, _Row], existing: dict[str, Unit], result: ImportResult
) -> list[_Row]:
    """Rows whose parent chain ends at a root, without a loop, through valid rows only."""
    parent_of = {code: unit.parent_id for code, unit in existing.items()}
    code_of = {unit.id: code for code, unit in existing.items()}
    rejected = {p.code for p in result.problems if p.code and p.code not in by_code}
    verdict: dict[str, str | None] = {}

    def check(row: _Row) -> str | None:
        if row.code not in verdict:
            reason = _loop(row, by_code, parent_of, code_of)
            if reason is None and row.parent_code in by_code:
                if check(by_code[row.parent_code]) is not None:
                    reason = f"parent {row.parent_code} is not valid (see its line)"
            elif reason is None and row.parent_code in rejected:
                reason = f"parent {row.parent_code} is not valid (see its line)"
            elif reason is None and row.parent_code and row.parent_code not in existing:
                reason = f"parent {row.parent_code} is neither in the file nor in the database"
            verdict[row.code] = reason or _check_kinds(row, by_code, existing)
        return verdict[row.code]

    accepted = []
    for row in rows:
        reason = check(row)
        if reason is None:
            accepted.append(row)
        else:
            result.problems.append(RowProblem(row.line, row.code, reason))
    return accepted


def _check_kinds(row: _Row, by_code: dict[str, _Row], existing: dict[str, Unit]) -> str | None:
    allowed = ROOT_ONLY_UNDER.get(row.kind)
    if allowed is None or not row.parent_code:
        return None
    parent = by_code.get(row.parent_code)
    parent_kind = parent.kind if parent else existing[row.parent_code].kind
    if parent_kind not in allowed:
        return f"{row.kind} units sit only under a province; {row.parent_code} is {parent_kind}"
    return None


def _loop(
    row: _Row,
    by_code: dict[str, _Row],
    parent_of: dict[str, int | None],
    code_of: dict[int | None, str],
) -> str | None:
    """Follow the parents (the file's first, then the database's): back to the row is a loop."""
    seen = {row.code}
    current = row.parent_code
    while current:
        if current == row.code:
            return "the parents form a loop"
        if current in seen:
            return None  # a loop higher up, not through this row: its own rows report it
        seen.add(current)
        if current in by_code:
            current = by_code[current].parent_code
        else:
            current = code_of.get(parent_of.get(current), "")
    return None


def _parents_first(rows: list[_Row], by_code: dict[str, _Row]) -> list[_Row]:
    accepted = {row.code for row in rows}
    ordered: list[_Row] = []
    placed: set[str] = set()

    def place(row: _Row) -> None:
        if row.code in placed:
            return
        if row.parent_code in accepted:
            place(by_code[row.parent_code])
        placed.add(row.code)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered
