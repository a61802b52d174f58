"""Fill a database with a realistic organisation for demos and benchmarks.

Under a root unit (code `DEMO` unless told otherwise): agencies, enterprises and schools, their
departments and classes, sometimes teams below those. Members have consented; a few belong to
two units. Events follow the ledger conventions of the real services, spread over the last year
in sessions (a quiz is `quiz_started`, one `quiz_answered` per question and `quiz_finished`).
Rows go in by bulk insert (executemany on SQLite, COPY on PostgreSQL), so millions of events
take minutes. Demo people get ids from `DEMO_USER_BASE` up, far above real Telegram ids.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.quiz import Bank
from bot.services.users import CONSENT_VERSION
from bot.storage.models import Membership, Role, Unit, UnitKind, User
from bot.storage.units import unit_by_code

DEMO_USER_BASE = 900_000_000_000_000


def _words(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(separator))


EXPLAINERS = _words(
    "chi-thi-07 tt-124-2021 tt-23-2012 bao-ve-bi-mat-nha-nuoc an-toan-mang "
    "lua-dao-tin-gia phong-chay-chua-chay phong-chong-toi-pham so-khan-cap"
)
CORE_BANK = "chi-thi-07"
FAMILY = _words("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý")
MIDDLE = _words("Văn Thị Hữu Minh Thanh Ngọc Đức Thu Quang Hoài Gia")
GIVEN = _words(
    "An Bình Chi Dũng Giang Hà Hải Hạnh Hiếu Hoa Hùng Hương Khánh Lan Linh Long Mai Minh "
    "Nam Ngân Phong Phúc Quân Sơn Tâm Thảo Trang Trung Tú Tuấn Vy Yến"
)
AGENCIES = _words(
    "Sở Tư pháp, Sở Y tế, Sở Tài chính, Sở Xây dựng, Sở Nội vụ, Sở Công Thương, "
    "Kho bạc Nhà nước, Chi cục Thuế, UBND phường",
    ",",
)
ENTERPRISES = _words(
    "Công ty TNHH Cơ khí, Công ty CP Dệt may, Công ty Điện lực, Công ty CP Thực phẩm, "
    "Công ty TNHH Điện tử, Công ty Cấp nước",
    ",",
)
SCHOOLS = _words("Trường THPT, Trường THCS, Trường Cao đẳng Nghề, Trường Đại học", ",")
DEPARTMENTS = _words(
    "Phòng Hành chính, Phòng Kế toán, Phòng Kỹ thuật, Phòng Kinh doanh, Phòng Tổ chức, "
    "Phân xưởng, Văn phòng, Phòng Thanh tra",
    ",",
)
GRADES = ("10", "11", "12")


@dataclass(frozen=True)
class SeedPlan:
    units: int = 50
    users: int = 2_000
    events: int = 100_000
    root: str = "DEMO"
    days: int = 365
    seed: int = 7


@dataclass
class SeedResult:
    root: Unit
    units: int = 0
    users: int = 0
    memberships: int = 0
    events: int = 0


Progress = Callable[[str, int, int], None]


@dataclass
class _Person:
    user_id: int
    units: list[int]
    joined: datetime
    weight: float
    read: set[str] = field(default_factory=set)


class SeedError(Exception):
    """The seed cannot go ahead (e.g. the codes it would use are taken)."""


async def seed(
    session: AsyncSession,
    plan: SeedPlan,
    *,
    banks: Sequence[Bank] = (),
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Create the units, people, memberships and events of `plan`; commits."""
    report = progress or (lambda stage, done, total: None)
    rng = random.Random(plan.seed)
    moment = now or datetime.now(UTC)
    root = await _root(session, plan.root)
    assert root.id is not None
    result = SeedResult(root)
    leaves, orgs = await _tree(session, rng, root, plan.units)
    result.units = plan.units
    report("units", plan.units, plan.units)
    people = await _people(session, rng, plan, leaves, orgs, moment, result, report)
    await session.commit()
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        # Millions of rows into four b-trees: a bigger page cache saves most of the I/O.
        await connection.exec_driver_sql("PRAGMA cache_size = -262144")
    writer = _Writer(connection, plan.root, moment, report, plan.events)
    await _events(rng, plan, people, banks, moment, writer)
    await writer.flush()
    await session.commit()
    result.events = writer.written
    return result


async def _root(session: AsyncSession, code: str) -> Unit:
    code = code.strip().upper()
    if await unit_by_code(session, f"{code}-S001") is not None:
        raise SeedError(f"{code} has already been seeded: choose another --root")
    root = await unit_by_code(session, code)
    if root is None:
        root = Unit(code=code, name="Tỉnh trình diễn", kind=UnitKind.PROVINCE.value)
        session.add(root)
        await session.flush()
    return root


async def _tree(
    session: AsyncSession, rng: random.Random, root: Unit, count: int
) -> tuple[list[Unit], dict[int, list[Unit]]]:
    """`count` units under the root; returns the units people join and each org's units."""
    orgs: list[Unit] = []
    for index in range(max(1, count // 12)):
        kind = rng.choices(
            [UnitKind.AGENCY, UnitKind.ENTERPRISE, UnitKind.SCHOOL], weights=[4, 3, 3]
        )[0]
        names = {UnitKind.AGENCY: AGENCIES, UnitKind.ENTERPRISE: ENTERPRISES}.get(kind, SCHOOLS)
        orgs.append(
            Unit(
                code=f"{root.code}-S{index + 1:03d}",
                name=f"{rng.choice(names)} số {index + 1}",
                kind=kind.value,
                parent_id=root.id,
            )
        )
    session.add_all(orgs)
    await session.flush()
    below: dict[int, list[Unit]] = {}
    for number in range(count - len(orgs)):
        org = orgs[number % len(orgs)]
        assert org.id is not None
        siblings = below.setdefault(org.id, [])
        sibling = len(siblings) + 1
        if org.kind == UnitKind.SCHOOL.value:
            grade = GRADES[(sibling - 1) % len(GRADES)]
            kind, name = UnitKind.CLASS, f"Lớp {grade}A{(sibling - 1) // len(GRADES) + 1}"
        else:
            kind = UnitKind.DEPARTMENT
            name = f"{DEPARTMENTS[(sibling - 1) % len(DEPARTMENTS)]} {sibling}"
        siblings.append(
            Unit(code=f"{org.code}-{sibling:02d}", name=name, kind=kind.value, parent_id=org.id)
        )
    session.add_all([unit for units in below.values() for unit in units])
    await session.flush()
    # Every sixth department becomes a team inside the department before it: some depth.
    for units in below.values():
        departments = [u for u in units if u.kind == UnitKind.DEPARTMENT.value]
        for position in range(5, len(departments), 6):
            team, parent = departments[position], departments[position - 1]
            team.parent_id = parent.id
            team.name = f"Tổ {position + 1} ({parent.name})"
    await session.flush()
    leaves = [unit for units in below.values() for unit in units] or orgs
    return leaves, below


async def _people(
    session: AsyncSession,
    rng: random.Random,
    plan: SeedPlan,
    leaves: list[Unit],
    orgs: dict[int, list[Unit]],
    now: datetime,
    result: SeedResult,
    report: Progress,
) -> list[_Person]:
    base = await _first_free_id(session)
    connection = await session.connection()
    people: list[_Person] = []
    users: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    start = now - timedelta(days=plan.days)
    by_org = {unit.id: org for org, units in orgs.items() for unit in units}
    staffed: set[int] = set()
    for number in range(plan.users):
        user_id = base + number
        home = leaves[number % len(leaves)] if number < len(leaves) else rng.choice(leaves)
        assert home.id is not None
        units = [home.id]
        siblings = orgs.get(by_org.get(home.id, -1), [])
        if rng.random() < 0.03 and len(siblings) > 1:
            other = rng.choice([u for u in siblings if u.id != home.id])
            assert other.id is not None
            units.append(other.id)
        joined = start + timedelta(seconds=rng.random() * plan.days * 0.3 * 86400)
        users.append(_user_row(rng, user_id, joined))
        role = Role.LEARNER
        if home.id not in staffed:
            staffed.add(home.id)
            role = Role.TRAINER if rng.random() < 0.7 else Role.OFFICER
        for position, unit_id in enumerate(units):
            memberships.append(
                {
                    "user_id": user_id,
                    "unit_id": unit_id,
                    "role": (role if position == 0 else Role.LEARNER).value,
                    "since": joined,
                    "until": None,
                }
            )
        weight = 0.0 if rng.random() < 0.1 else rng.paretovariate(2.5)
        people.append(_Person(user_id, units, joined, weight))
        if len(users) >= 5_000:
            await _insert_rows(connection, User, users)
            await _insert_rows(connection, Membership, memberships)
            result.users += len(users)
            result.memberships += len(memberships)
            users, memberships = [], []
            report("people", result.users, plan.users)
    await _insert_rows(connection, User, users)
    await _insert_rows(connection, Membership, memberships)
    result.users += len(users)
    result.memberships += len(memberships)
    report("people", result.users, plan.users)
    return people


def _user_row(rng: random.Random, user_id: int, joined: datetime) -> dict[str, Any]:
    return {
        "id": user_id,
        "first_name": rng.choice(GIVEN),
        "last_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)}",
        "username": None,
        "language": "vi",
        "consent_at": joined - timedelta(minutes=2),
        "consent_version": CONSENT_VERSION,
        "public_name": rng.random() < 0.3,
        "pending_start": None,
        "unreachable_at": None,
        "erased_at": None,
        "created_at": joined - timedelta(minutes=3),
    }


async def _first_free_id(session: AsyncSession) -> int:
    connection = await session.connection()
    table = User.__table__  # type: ignore[attr-defined]
    statement = select(func.max(table.c.id)).where(table.c.id >= DEMO_USER_BASE)
    highest = (await connection.execute(statement)).scalar()
    return int(highest) + 1 if highest is not None else DEMO_USER_BASE


async def _insert_rows(
    connection: AsyncConnection, model: type, rows: list[dict[str, Any]]
) -> None:
    if rows:
        await connection.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


EVENT_COLUMNS = ("user_id", "unit_id", "kind", "ref", "value", "at", "key")


class _Writer:
    """Buffers ledger rows and writes them in bulk through the driver."""

    def __init__(
        self,
        connection: AsyncConnection,
        root: str,
        now: datetime,
        report: Progress,
        total: int,
    ) -> None:
        self.connection = connection
        self.root = root
        self.now = now
        self.report = report
        self.total = total
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.serial = 0
        # SQLite gets the text SQLAlchemy would store (naive UTC), made once per event.
        self.as_text = connection.dialect.name != "postgresql"

    @property
    def room(self) -> int:
        return self.total - self.written - len(self.rows)

    def add(
        self,
        person: _Person,
        kind: str,
        at: datetime,
        ref: str | None = None,
        value: float | None = None,
    ) -> None:
        self.serial += 1
        stamp: Any = at
        if self.as_text:
            stamp = at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        prefix = f"seed:{self.root}:{person.user_id}:{self.serial}:"
        for unit_id in person.units:
            self.rows.append(
                (person.user_id, unit_id, kind, ref, value, stamp, f"{prefix}{unit_id}")
            )

    async def maybe_flush(self) -> None:
        if len(self.rows) >= 50_000:
            await self.flush()

    async def flush(self) -> None:
        if not self.rows:
            return
        raw = await self.connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if self.connection.dialect.name == "postgresql":
            await driver.copy_records_to_table(
                "participation_events", records=self.rows, columns=list(EVENT_COLUMNS)
            )
        else:
            placeholders = ", ".join("?" for _ in EVENT_COLUMNS)
            await driver.executemany(
                f"INSERT INTO participation_events ({', '.join(EVENT_COLUMNS)}) "
                f"VALUES ({placeholders})",
                self.rows,
            )
        self.written += len(self.rows)
        self.rows = []
        self.report("events", min(self.written, self.total), self.total)


async def _events(
    rng: random.Random,
    plan: SeedPlan,
    people: list[_Person],
    banks: Sequence[Bank],
    now: datetime,
    writer: _Writer,
) -> None:
    for person in people:
        writer.add(person, "enrolled", person.joined, ref=Role.LEARNER.value)
    total_weight = sum(p.weight for p in people) or 1.0
    budget = max(0, plan.events - sum(len(p.units) for p in people))
    for person in people:
        if writer.room <= 0:
            break
        share = budget * person.weight / total_weight / len(person.units)
        target = int(share) + (1 if rng.random() < share - int(share) else 0)
        made = 0
        while made < target and writer.room > 0:
            made += _session(rng, person, banks, now, writer)
        await writer.maybe_flush()
    # Rounding leaves a little room: active people fill it with acknowledgments.
    active = [p for p in people if p.weight > 0] or people
    while writer.room > 0 and active:
        person = rng.choice(active)
        if writer.room < len(person.units):
            break
        writer.add(person, "reminder_ack", _moment(rng, person, now))
        await writer.maybe_flush()


def _moment(rng: random.Random, person: _Person, now: datetime) -> datetime:
    span = max((now - person.joined).total_seconds(), 3600.0)
    moment = person.joined + timedelta(seconds=rng.random() * span)
    local_hour = 7 + rng.random() * 14  # daytime, Vietnam time (UTC+7)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    moment = day + timedelta(hours=local_hour - 7)
    return max(min(moment, now - timedelta(minutes=1)), person.joined + timedelta(minutes=1))


def _session(
    rng: random.Random, person: _Person, banks: Sequence[Bank], now: datetime, writer: _Writer
) -> int:
    """One sitting: a quiz, a reading, or an acknowledgment; returns the logical events."""
    at = _moment(rng, person, now)
    roll = rng.random()
    if roll < 0.55 and writer.room > 3 * len(person.units):
        return _quiz(rng, person, banks, at, writer)
    unread = [e for e in EXPLAINERS if e not in person.read]
    if roll < 0.75 and unread:
        explainer = CORE_BANK if CORE_BANK in unread and rng.random() < 0.6 else rng.choice(unread)
        person.read.add(explainer)
        writer.add(person, "lesson_read", at, ref=explainer)
        return 1
    if roll < 0.9:
        writer.add(person, "reminder_ack", at)
        return 1
    writer.add(person, "broadcast_delivered", at)
    if rng.random() < 0.6:
        writer.add(person, "broadcast_ack", at + timedelta(minutes=rng.randint(1, 90)))
        return 2
    return 1


def _quiz(
    rng: random.Random, person: _Person, banks: Sequence[Bank], at: datetime, writer: _Writer
) -> int:
    bank = None
    if banks:
        core = [b for b in banks if b.id == CORE_BANK]
        bank = core[0] if core and rng.random() < 0.4 else banks[int(rng.random() * len(banks))]
    bank_id = bank.id if bank else CORE_BANK
    pass_mark = bank.pass_mark if bank else 70
    count = min(bank.questions_per_attempt, len(bank.questions)) if bank else 10
    room = writer.room // len(person.units) - 2
    count = max(1, min(count, room))
    questions = rng.sample(list(bank.questions), count) if bank else []
    skill = rng.betavariate(5, 2)
    writer.add(person, "quiz_started", at, ref=bank_id)
    right = 0
    moment = at
    for position in range(count):
        seconds = 4 + int(rng.random() * 37)
        moment += timedelta(seconds=seconds)
        correct = rng.random() < skill
        right += correct
        question = questions[position].id if questions else f"q{position + 1}"
        writer.add(
            person, "quiz_answered", moment, ref=f"{question}:{seconds}", value=float(correct)
        )
    percent = 100 * right // count
    outcome = "passed" if percent >= pass_mark else "failed"
    writer.add(person, "quiz_finished", moment, ref=f"{bank_id}:{outcome}", value=float(percent))
    return count + 2
