"""Reporting periods: presets (month, quarter, assessment year) and custom date ranges.

The assessment year follows Thông tư 124/2021/TT-BCA: agencies, enterprises and education
establishments are assessed on the period 16/11 to 15/11. Dates are local calendar days (the
bot's time zone); a period includes both its first and its last day. Days are also handled
as date ordinals, sets of days as packed offsets (`pack_days`), and long ranges of days as
whole months plus edges (`whole_months`), which is how the rollups store them.

Every date the bot reads or accepts lies in 1970–2100 (`FIRST_DAY`..`LAST_DAY`): far outside it,
local midnights in some time zones cannot even be represented.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

ASSESSMENT_START = (11, 16)  # day 16 of month 11 opens an assessment year
MAX_DAYS = 3 * 366
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2100, 12, 31)
_DATE = r"(\d{1,2})/(\d{1,2})/(\d{4})"
_CUSTOM = re.compile(rf"^\s*{_DATE}\s*[-–—]\s*{_DATE}\s*$")
_CODE = re.compile(r"^([mqypc])(\d{6,7})-(\d{6,7})$")


class PeriodKind(StrEnum):
    MONTH = "m"
    QUARTER = "q"
    YEAR = "y"  # the current assessment year
    PREVIOUS_YEAR = "p"  # the assessment year before it
    CUSTOM = "c"


PRESET_WORDS: dict[str, PeriodKind] = {
    "thang": PeriodKind.MONTH,
    "tháng": PeriodKind.MONTH,
    "month": PeriodKind.MONTH,
    "quy": PeriodKind.QUARTER,
    "quý": PeriodKind.QUARTER,
    "quarter": PeriodKind.QUARTER,
    "nam": PeriodKind.YEAR,
    "năm": PeriodKind.YEAR,
    "year": PeriodKind.YEAR,
    "namtruoc": PeriodKind.PREVIOUS_YEAR,
    "nămtrước": PeriodKind.PREVIOUS_YEAR,
    "lastyear": PeriodKind.PREVIOUS_YEAR,
}


class PeriodError(ValueError):
    """A period that cannot be read or makes no sense; the message names the problem."""


class PeriodOutOfRange(PeriodError):
    """A date before `FIRST_DAY` or after `LAST_DAY`."""

    def __init__(self) -> None:
        super().__init__(
            f"dates must lie between {FIRST_DAY:%d/%m/%Y} and {LAST_DAY:%d/%m/%Y} (1970-2100)"
        )


def check_day(day: date) -> date:
    """The day itself, or `PeriodOutOfRange`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PeriodOutOfRange()
    return day


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: PeriodKind = PeriodKind.CUSTOM

    def __post_init__(self) -> None:
        check_day(self.start)
        check_day(self.end)
        if self.end < self.start:
            raise PeriodError("the period ends before it starts")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise PeriodError(f"a period may span at most {MAX_DAYS} days")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def first_day(self) -> int:
        """The first day as a date ordinal: rollups count days this way."""
        return self.start.toordinal()

    @property
    def last_day(self) -> int:
        return self.end.toordinal()

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """UTC instants [from, to) covering the local days of the period."""
        return local_midnight(self.start, zone), local_midnight(self.end + timedelta(days=1), zone)

    def label(self) -> str:
        return f"{self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"

    def code(self) -> str:
        """Short and absolute, for callback data: a button pressed next month means the same."""
        return f"{self.kind.value}{self.first_day}-{self.last_day}"

    def clipped(self, today: date) -> Period:
        """The part of the period up to `today` (a period in the future stays as it is)."""
        if self.start > today or self.end <= today:
            return self
        return Period(self.start, today, self.kind)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The local calendar day of an aware instant (naive ones are read as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def this_month(today: date) -> Period:
    start = today.replace(day=1)
    return Period(start, _next_month(start) - timedelta(days=1), PeriodKind.MONTH)


def this_quarter(today: date) -> Period:
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = _next_month(_next_month(_next_month(start))) - timedelta(days=1)
    return Period(start, end, PeriodKind.QUARTER)


def assessment_year(today: date) -> Period:
    """The TT 124/2021 period (16/11 to 15/11) that contains `today`."""
    month, day = ASSESSMENT_START
    opens = date(today.year, month, day)
    start = opens if today >= opens else date(today.year - 1, month, day)
    end = date(start.year + 1, month, day) - timedelta(days=1)
    return Period(start, end, PeriodKind.YEAR)


def previous_assessment_year(today: date) -> Period:
    current = assessment_year(today)
    start = date(current.start.year - 1, current.start.month, current.start.day)
    return Period(start, current.start - timedelta(days=1), PeriodKind.PREVIOUS_YEAR)


def preset(kind: PeriodKind, today: date) -> Period:
    match kind:
        case PeriodKind.MONTH:
            return this_month(today)
        case PeriodKind.QUARTER:
            return this_quarter(today)
        case PeriodKind.YEAR:
            return assessment_year(today)
        case PeriodKind.PREVIOUS_YEAR:
            return previous_assessment_year(today)
    raise PeriodError("a custom period needs its dates")


def parse_date(text: str) -> date:
    """`dd/mm/yyyy` (also with `-` or `.`) or ISO `yyyy-mm-dd`."""
    raw = text.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
    local = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", raw)
    try:
        if iso:
            return check_day(date(int(iso[1]), int(iso[2]), int(iso[3])))
        if local:
            return check_day(date(int(local[3]), int(local[2]), int(local[1])))
    except PeriodOutOfRange:
        raise
    except ValueError as exc:
        raise PeriodError(f"no such day: {raw}") from exc
    raise PeriodError(f"not a date: {raw!r} (expected dd/mm/yyyy)")


def parse_period(text: str, today: date) -> Period:
    """A preset word (tháng, quý, năm, năm trước; or English) or `dd/mm/yyyy-dd/mm/yyyy`."""
    word = re.sub(r"[\s_-]+", "", text.strip().lower())
    if word in PRESET_WORDS:
        return preset(PRESET_WORDS[word], today)
    match = _CUSTOM.match(text)
    if match is None:
        raise PeriodError(f"not a period: {text.strip()!r}")
    start = parse_date(f"{match[1]}/{match[2]}/{match[3]}")
    end = parse_date(f"{match[4]}/{match[5]}/{match[6]}")
    return Period(start, end, PeriodKind.CUSTOM)


def from_code(code: str) -> Period:
    """The period behind `Period.code()`."""
    match = _CODE.match(code)
    if match is None:
        raise PeriodError(f"not a period code: {code!r}")
    try:
        start, end = date.fromordinal(int(match[2])), date.fromordinal(int(match[3]))
    except ValueError as exc:
        raise PeriodError(f"not a period code: {code!r}") from exc
    return Period(start, end, PeriodKind(match[1]))


@dataclass(frozen=True)
class Bucket:
    """A slice of a period (a week or a month), clipped to the period."""

    start: date
    end: date

    @property
    def first_day(self) -> int:
        return self.start.toordinal()

    @property
    def last_day(self) -> int:
        return self.end.toordinal()


def weeks(period: Period) -> list[Bucket]:
    """Monday-to-Sunday weeks, the first and last clipped to the period."""
    buckets: list[Bucket] = []
    start = period.start
    while start <= period.end:
        end = min(start + timedelta(days=6 - start.weekday()), period.end)
        buckets.append(Bucket(start, end))
        start = end + timedelta(days=1)
    return buckets


def months(period: Period) -> list[Bucket]:
    buckets: list[Bucket] = []
    start = period.start
    while start <= period.end:
        end = min(_next_month(start.replace(day=1)) - timedelta(days=1), period.end)
        buckets.append(Bucket(start, end))
        start = end + timedelta(days=1)
    return buckets


def breakdown(period: Period) -> list[Bucket]:
    """Weeks for a period up to about a quarter, months for longer ones."""
    return weeks(period) if period.days <= 92 else months(period)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# Sets of days: sorted offsets from a first day, each an unsigned 16-bit little-endian number.
DAY_OFFSET_MAX = 0xFFFF


def pack_days(days: Iterable[int], first_day: int) -> bytes:
    offsets = sorted({day - first_day for day in days})
    if offsets and (offsets[0] < 0 or offsets[-1] > DAY_OFFSET_MAX):
        raise ValueError("days out of range of the first day")
    return struct.pack(f"<{len(offsets)}H", *offsets)


def unpack_days(packed: bytes, first_day: int) -> list[int]:
    return [first_day + offset for offset in struct.unpack(f"<{len(packed) // 2}H", packed)]


def month_start(day: int) -> int:
    """The first day of the month of a day (date ordinals)."""
    return date.fromordinal(day).replace(day=1).toordinal()


def whole_months(first: int, last: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """Days first..last as whole calendar months plus the days at either edge.

    Returns (first days of the first and the last whole month, or None) and the edge ranges.
    """
    start, end = date.fromordinal(first), date.fromordinal(last)
    opening = start if start.day == 1 else _next_month(start)
    closing_next = _next_month(end) if (end + timedelta(days=1)).day == 1 else end.replace(day=1)
    if opening >= closing_next:
        return None, [(first, last)]
    last_month = (closing_next - timedelta(days=1)).replace(day=1)
    edges = []
    if first < opening.toordinal():
        edges.append((first, opening.toordinal() - 1))
    if closing_next.toordinal() <= last:
        edges.append((closing_next.toordinal(), last))
    return (opening.toordinal(), last_month.toordinal()), edges
