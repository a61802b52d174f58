"""`canhgiac reminders …`: add, list and remove scheduled reminders from the shell.

A running bot picks a change up within a few seconds (its scheduler re-reads the reminders
table), no restart needed. Exit codes: 0 done, 1 the reminder was refused, 2 unusable input
(bad settings, unknown unit, unreadable time).
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import date, datetime
from html import escape, unescape
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import FAILED, fail, load_settings, require_database
from bot.domain.periods import PeriodError, parse_date
from bot.domain.quiz import QuizFormatError
from bot.domain.schedules import (
    Holidays,
    Kind,
    QuietHours,
    ScheduleError,
    parse_local_datetime,
    parse_monthly,
    parse_time,
    parse_weekly,
    weekday_names,
)
from bot.services import reminders as svc
from bot.services.bank_store import BankStore
from bot.services.grants import ScopeError
from bot.settings import Settings
from bot.storage.clock import utcnow
from bot.storage.models_reminders import Audience, MessageKind, Reminder
from bot.storage.units import unit_by_code

app = typer.Typer(
    help="Scheduled reminders: add, list, remove.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
AUDIENCE_HELP = (
    "everyone, unread:<explainer id>, unpassed:<quiz bank id> or unacked:<broadcast number>"
)


def _problem(error: svc.ReminderError) -> str:
    reasons = {
        svc.Problem.NOT_FOUND: "the unit or reminder does not exist",
        svc.Problem.EMPTY_TEXT: "--text is empty",
        svc.Problem.LONG_TEXT: f"--text is longer than {svc.TEXT_LIMIT} characters",
        svc.Problem.NO_REF: "the audience or link needs a reference",
        svc.Problem.SCHEDULE: error.detail,
        svc.Problem.NEVER_FIRES: "it would never be sent (is the time in the past?)",
    }
    return reasons.get(error.problem, str(error))


def _audience(text: str) -> tuple[Audience, str | None]:
    kind, _, ref = text.partition(":")
    try:
        audience = Audience(kind.strip().lower())
    except ValueError:
        fail(f"--audience must be {AUDIENCE_HELP}")
    if audience is not Audience.EVERYONE and not ref.strip():
        fail(f"--audience {audience.value} needs a reference: {AUDIENCE_HELP}")
    return audience, ref.strip() or None


def _moment(text: str, zone: str) -> datetime:
    """ISO with an offset as given; otherwise a local time in the unit's zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            moment = parse_local_datetime(text)
        except ScheduleError as exc:
            fail(f"--at: {exc}")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except PeriodError as exc:
        fail(f"{option}: {exc}")


def _schedule(
    at: str | None, cron: str | None, daily: str | None, weekly: str | None, monthly: str | None
) -> dict[str, object]:
    given = [
        name
        for name, value in (
            ("--at", at),
            ("--cron", cron),
            ("--daily", daily),
            ("--weekly", weekly),
            ("--monthly", monthly),
        )
        if value
    ]
    if len(given) != 1:
        fail("give exactly one of --at, --cron, --daily, --weekly, --monthly")
    try:
        if cron:
            return {"schedule_kind": Kind.CRON, "cron": cron}
        if daily:
            return {"schedule_kind": Kind.DAILY, "at_time": daily}
        if weekly:
            days, at_time = parse_weekly(weekly)
            return {
                "schedule_kind": Kind.WEEKLY,
                "weekdays": tuple(days),
                "at_time": f"{at_time:%H:%M}",
            }
        if monthly:
            day, at_time = parse_monthly(monthly)
            return {"schedule_kind": Kind.MONTHLY, "month_day": day, "at_time": f"{at_time:%H:%M}"}
    except ScheduleError as exc:
        fail(f"{given[0]}: {exc}")
    return {"schedule_kind": Kind.ONCE}


T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    from bot.cli.app import run_async

    result: T = run_async(coroutine)
    return result


@app.command("add")
def add(
    unit: Annotated[
        str, typer.Option("--unit", help="Code of the unit (its subtree is included).")
    ],
    text: Annotated[str, typer.Option("--text", help="The message (plain text).")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="Once: 'DD/MM/YYYY HH:MM' or ISO, in the unit's time zone."),
    ] = None,
    cron: Annotated[
        str | None, typer.Option("--cron", help="A cron line: 'minute hour day month weekday'.")
    ] = None,
    daily: Annotated[str | None, typer.Option("--daily", help="Every day at HH:MM.")] = None,
    weekly: Annotated[
        str | None, typer.Option("--weekly", help="Days and time, e.g. 'T2,T4 08:00'.")
    ] = None,
    monthly: Annotated[
        str | None, typer.Option("--monthly", help="Day and time, e.g. '31 08:00'.")
    ] = None,
    quiet_hours: Annotated[
        str | None,
        typer.Option("--quiet-hours", help="HH:MM-HH:MM or off (default: REMINDER_QUIET_HOURS)."),
    ] = None,
    audience: Annotated[str, typer.Option("--audience", help=AUDIENCE_HELP)] = "everyone",
    explainer: Annotated[
        str | None, typer.Option("--explainer", help="Add a link to this explainer id.")
    ] = None,
    quiz: Annotated[
        str | None, typer.Option("--quiz", help="Add a button starting this quiz bank.")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day (DD/MM/YYYY).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day (DD/MM/YYYY).")] = None,
    holidays: Annotated[
        bool, typer.Option("--skip-holidays/--on-holidays", help="Skip HOLIDAYS (default).")
    ] = True,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Accept a time inside the quiet hours (sent when they end)."),
    ] = False,
) -> None:
    """Schedule a reminder for the learners of a unit.

    A time inside the quiet hours is refused unless --yes: the reminder would be sent when
    they end, and the command says when.
    """
    settings = load_settings()
    require_database(settings)
    if explainer and quiz:
        fail("give at most one of --explainer and --quiz")
    kind_of_message = (
        MessageKind.EXPLAINER if explainer else MessageKind.QUIZ if quiz else MessageKind.TEXT
    )
    who, ref = _audience(audience)
    if quiz:
        quiz = _bank(settings, quiz, "--quiz")
    if who is Audience.UNPASSED and ref:
        ref = _bank(settings, ref, "--audience unpassed")
    if explainer:
        _explainer(settings, explainer)
    fields = _schedule(at, cron, daily, weekly, monthly)
    try:
        quiet = QuietHours.parse(
            quiet_hours if quiet_hours is not None else settings.reminder_quiet_hours
        )
    except ScheduleError:
        quiet = None  # refused with its reason when the reminder is built
    moved: str | None = None

    async def _add() -> tuple[Reminder, datetime | None]:
        from bot.runtime import open_storage

        storage = await open_storage(settings, upgrade=False)
        try:
            async with storage.sessionmaker() as session:
                found = await unit_by_code(session, unit.strip().upper())
                if found is None or found.id is None:
                    fail(f"no unit with code {unit.strip().upper()}")
                if at:
                    fields["once_at"] = _moment(at, found.timezone)
                nonlocal moved
                moved = _quiet_note(fields, quiet, found.timezone)
                if moved and not yes:
                    fail(
                        f"{moved}. Add --yes to accept that, or give another time "
                        "(or --quiet-hours off).",
                        FAILED,
                    )
                draft = svc.Draft(
                    unit_id=found.id,
                    text=escape(text),
                    audience=who,
                    audience_ref=ref,
                    message_kind=kind_of_message,
                    link_ref=explainer or quiz,
                    start_date=_date(start, "--start"),
                    end_date=_date(end, "--end"),
                    quiet_hours=quiet_hours,
                    skip_holidays=holidays,
                    **fields,  # type: ignore[arg-type]
                )
                reminder = await svc.create(
                    session,
                    svc.CLI_ACCESS,
                    draft,
                    now=utcnow(),
                    default_quiet=settings.reminder_quiet_hours,
                )
                upcoming = await svc.next_fire(
                    session, reminder, holidays=_holidays(settings), now=utcnow()
                )
                return reminder, upcoming
        except svc.ReminderError as exc:
            fail(f"reminder refused: {_problem(exc)}", FAILED)
        except (ScopeError, SQLAlchemyError) as exc:
            fail(f"database problem: {str(exc).splitlines()[0]} (run `canhgiac db upgrade`?)")
        finally:
            await storage.engine.dispose()

    reminder, upcoming = _run(_add())
    first = (
        f"first {upcoming.astimezone(ZoneInfo(reminder.timezone)):%d/%m/%Y %H:%M} "
        f"({reminder.timezone})"
        if upcoming
        else "no fire ahead"
    )
    typer.echo(f"Reminder #{reminder.id} added for {unit.strip().upper()}: {first}.")
    if moved:
        typer.echo(f"Note: {moved}.")


def _bank(settings: Settings, wanted: str, option: str) -> str:
    """The id of a known quiz bank; anything else ends the command with the list of banks."""
    try:
        store = BankStore(settings.quizzes_dir)
    except (OSError, QuizFormatError) as exc:
        fail(f"{option}: cannot read the quiz banks in {settings.quizzes_dir}: {exc}")
    bank = store.find(wanted)
    if bank is None:
        known = ", ".join(sorted(store.banks)) or f"none in {settings.quizzes_dir}"
        fail(f"{option}: no quiz bank {wanted.strip()!r}; known banks: {known}")
    return bank.id


def _explainer(settings: Settings, wanted: str) -> None:
    from bot.domain.content import ContentError, load_library

    try:
        library = load_library(settings.content_dir)
    except (OSError, ContentError) as exc:
        fail(f"--explainer: cannot read the explainers in {settings.content_dir}: {exc}")
    if library.get(wanted.strip()) is None:
        fail(
            f"--explainer: no explainer {wanted.strip()!r} "
            "(find ids with `canhgiac content search WORDS`)"
        )


def _quiet_note(fields: dict[str, object], quiet: QuietHours | None, zone: str) -> str | None:
    """What the quiet hours would do to the time asked for, in words; None: nothing."""
    if quiet is None:
        return None
    once_at = fields.get("once_at")
    if isinstance(once_at, datetime):
        local = once_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        if not quiet.contains(local.time()):
            return None
        sent = quiet.release(local)
        return (
            f"{local:%d/%m/%Y %H:%M} is inside the quiet hours {quiet}: it would be sent at "
            f"{sent:%d/%m/%Y %H:%M}"
        )
    at_time = fields.get("at_time")
    try:
        asked = parse_time(str(at_time)) if at_time else None
    except ScheduleError:
        return None  # refused with its own reason when the reminder is built
    if asked is None or not quiet.contains(asked):
        return None
    next_day = " the next day" if quiet.start > quiet.end and asked >= quiet.start else ""
    return (
        f"{asked:%H:%M} is inside the quiet hours {quiet}: each one would be sent at "
        f"{quiet.end:%H:%M}{next_day}"
    )


@app.command("list")
def list_(
    show_all: Annotated[
        bool, typer.Option("--all", help="Also paused and deleted reminders.")
    ] = False,
) -> None:
    """List the reminders, with their next fire."""
    settings = load_settings()
    require_database(settings)

    async def _list() -> list[str]:
        from sqlmodel import col, select

        from bot.runtime import open_storage
        from bot.services.units import load_tree

        storage = await open_storage(settings, upgrade=False)
        try:
            async with storage.sessionmaker() as session:
                tree = await load_tree(session)
                statement = select(Reminder).order_by(col(Reminder.id))
                rows = []
                for reminder in (await session.exec(statement)).all():
                    if not show_all and (reminder.deleted_at or reminder.paused):
                        continue
                    upcoming = await svc.next_fire(
                        session, reminder, holidays=_holidays(settings), now=utcnow()
                    )
                    rows.append(_line(reminder, tree.nodes.get(reminder.unit_id), upcoming))
                return rows
        except SQLAlchemyError as exc:
            fail(f"database problem: {str(exc).splitlines()[0]} (run `canhgiac db upgrade`?)")
        finally:
            await storage.engine.dispose()

    rows = _run(_list())
    for row in rows:
        typer.echo(row)
    if not rows:
        typer.echo("No reminders.")


def _line(reminder: Reminder, node: object, upcoming: datetime | None) -> str:
    code = getattr(node, "code", "?")
    if reminder.deleted_at:
        state = "deleted"
    elif reminder.paused:
        state = "paused"
    elif upcoming:
        state = f"next {upcoming.astimezone(ZoneInfo(reminder.timezone)):%d/%m/%Y %H:%M}"
    else:
        state = "finished"
    timing = {
        Kind.ONCE.value: "once",
        Kind.DAILY.value: f"daily {reminder.at_time}",
        Kind.WEEKLY.value: f"weekly {_days(reminder.weekdays)} {reminder.at_time}",
        Kind.MONTHLY.value: f"monthly day {reminder.month_day} {reminder.at_time}",
        Kind.CRON.value: f"cron '{reminder.cron}'",
    }.get(reminder.schedule_kind, reminder.schedule_kind)
    audience = reminder.audience + (f":{reminder.audience_ref}" if reminder.audience_ref else "")
    text = " ".join(unescape(reminder.campaign or reminder.text).split())[:60]
    return f"#{reminder.id}\t{code}\t{timing}\t{audience}\t{state}\t{text}"


def _holidays(settings: Settings) -> Holidays:
    try:
        return settings.holiday_rules()
    except ScheduleError as exc:
        fail(f"HOLIDAYS is invalid: {exc}")


def _days(stored: str | None) -> str:
    return weekday_names(int(day) for day in (stored or "").split(",") if day.strip())


@app.command("remove")
def remove(reminder_id: Annotated[int, typer.Argument(help="The reminder's number.")]) -> None:
    """Delete a reminder and cancel its messages not sent yet."""
    settings = load_settings()
    require_database(settings)

    async def _remove() -> None:
        from bot.runtime import open_storage

        storage = await open_storage(settings, upgrade=False)
        try:
            async with storage.sessionmaker() as session:
                await svc.delete(session, svc.CLI_ACCESS, reminder_id, now=utcnow())
        except svc.ReminderError:
            fail(f"no reminder #{reminder_id}", FAILED)
        except SQLAlchemyError as exc:
            fail(f"database problem: {str(exc).splitlines()[0]} (run `canhgiac db upgrade`?)")
        finally:
            await storage.engine.dispose()

    _run(_remove())
    typer.echo(f"Reminder #{reminder_id} removed.")
