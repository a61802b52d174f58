"""Public holidays from the maintained `holidays` package, as a function of the year.

The default calendar, Vietnam's, has Tết with the days off around it, Giỗ Tổ Hùng Vương (10/3 of
the lunar calendar), 30/4, 1/5, Quốc khánh with its second day, and the days off moved to make
bridges. The domain's `Holidays` takes the function; this module is the only one that knows the
package.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache, partial

import holidays as holiday_package

from bot.domain.schedules import ScheduleError

DEFAULT_CALENDAR = "VN"
OFF = {"", "off", "none", "no", "tat", "tắt", "khong", "không"}
YearDays = Callable[[int], frozenset[date]]


@lru_cache(maxsize=512)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The country's public holidays falling in `year` (days off included)."""
    # Computed with the years around it, so a lunar holiday of one year that the package
    # files under its neighbour is not lost.
    calendar = holiday_package.country_holidays(country, years=[year - 1, year, year + 1])
    return frozenset(day for day in calendar if day.year == year)


def calendar_for(name: str) -> YearDays | None:
    """The year-to-days function of a country code (`VN`); None for "off"."""
    code = name.strip()
    if code.lower() in OFF:
        return None
    if code.upper() not in holiday_package.list_supported_countries():
        raise ScheduleError(
            f"no holiday calendar for {code!r}: give a country code such as VN, or off"
        )
    return partial(public_holidays, code.upper())
