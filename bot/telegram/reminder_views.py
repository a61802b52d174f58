"""How `/nhacnho` looks: the list of reminders, each step of the wizard, the confirmation, and
the answers to "Seen" and "Remind me in an hour". Pure rendering: text and keyboards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape, unescape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.content import Library
from bot.domain.schedules import Kind
from bot.services.bank_store import BankStore
from bot.services.reminder_fires import AckStatus, SnoozeResult, SnoozeStatus
from bot.services.reminders import Problem, ReminderError, aware
from bot.storage.models_reminders import Audience, MessageKind, Reminder
from bot.telegram.callbacks import ReminderAdminCb as Cb
from bot.telegram.i18n import N_
from bot.telegram.reminder_cards import step_text

Rendered = tuple[str, InlineKeyboardMarkup]
PAGE_SIZE = 5
TAG = re.compile(r"<[^>]+>")
PICK_PAGE = 8
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
AUDIENCES = {
    Audience.EVERYONE: N_("👥 Everyone"),
    Audience.UNREAD: N_("📖 Has not read an explainer"),
    Audience.UNPASSED: N_("📝 Has not passed a quiz"),
    Audience.UNACKED: N_("📣 Has not acknowledged a broadcast"),
}
KINDS = {
    Kind.ONCE: N_("Once"),
    Kind.DAILY: N_("Every day"),
    Kind.WEEKLY: N_("Every week"),
    Kind.MONTHLY: N_("Every month"),
    Kind.CRON: N_("Cron expression"),
}


@dataclass(frozen=True)
class Line:
    """A reminder in the list, with what the list shows about it."""

    reminder: Reminder
    unit_name: str
    next_fire: datetime | None


def when(moment: datetime, zone: str) -> str:
    return f"{aware(moment).astimezone(ZoneInfo(zone)):%d/%m/%Y %H:%M}"


def _cancel(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("✖️ Cancel"), callback_data=Cb(act="x"))


def describe_schedule(reminder: Reminder) -> str:
    kind = Kind(reminder.schedule_kind)
    if kind is Kind.ONCE and reminder.once_at is not None:
        text = _("once, on {moment}").format(moment=when(reminder.once_at, reminder.timezone))
    elif kind is Kind.DAILY:
        text = _("every day at {time}").format(time=reminder.at_time)
    elif kind is Kind.WEEKLY:
        days = [_(WEEKDAYS[int(d)]) for d in (reminder.weekdays or "").split(",") if d]
        text = _("every week on {days} at {time}").format(
            days=", ".join(days), time=reminder.at_time
        )
    elif kind is Kind.MONTHLY:
        text = _("every month on day {day} at {time}").format(
            day=reminder.month_day, time=reminder.at_time
        )
        if (reminder.month_day or 0) > 28:
            text += " " + _("(the last day in shorter months)")
    else:
        text = _("cron <code>{line}</code>").format(line=escape(reminder.cron or ""))
    extras = []
    if reminder.start_date or reminder.end_date:
        start = f"{reminder.start_date:%d/%m/%Y}" if reminder.start_date else "…"
        end = f"{reminder.end_date:%d/%m/%Y}" if reminder.end_date else "…"
        extras.append(_("from {start} to {end}").format(start=start, end=end))
    if reminder.quiet_hours != "off":
        extras.append(_("quiet hours {hours}").format(hours=reminder.quiet_hours))
    if reminder.skip_holidays:
        extras.append(_("not on holidays"))
    return text + (f" ({'; '.join(extras)})" if extras else "")


def describe_audience(reminder: Reminder, library: Library, banks: BankStore) -> str:
    audience = Audience(reminder.audience)
    ref = reminder.audience_ref or ""
    if audience is Audience.UNREAD:
        explainer = library.get(ref)
        name = escape(explainer.title if explainer else ref)
        return _("learners who have not read “{title}”").format(title=name)
    if audience is Audience.UNPASSED:
        bank = banks.get(ref)
        name = escape(bank.title if bank else ref)
        return _("learners who have not passed the quiz “{title}”").format(title=name)
    if audience is Audience.UNACKED:
        return _("learners who have not acknowledged broadcast #{number}").format(number=ref)
    return _("all learners")


def describe_link(reminder: Reminder, library: Library, banks: BankStore) -> str | None:
    ref = reminder.link_ref or ""
    if reminder.message_kind == MessageKind.EXPLAINER.value:
        explainer = library.get(ref)
        return _("link to “{title}”").format(title=escape(explainer.title if explainer else ref))
    if reminder.message_kind == MessageKind.QUIZ.value:
        bank = banks.get(ref)
        return _("quiz button “{title}”").format(title=escape(bank.title if bank else ref))
    return None


def summary(reminder: Reminder, unit_name: str, library: Library, banks: BankStore) -> list[str]:
    """The lines describing a reminder, for the list and for the confirmation."""
    body = step_text(reminder.campaign) or reminder.text
    lines = [
        _("🏢 Unit: {unit} and the units below it").format(unit=escape(unit_name)),
        _("👥 To: {audience}").format(audience=describe_audience(reminder, library, banks)),
        _("🕑 When: {schedule}").format(schedule=describe_schedule(reminder)),
    ]
    link = describe_link(reminder, library, banks)
    if link:
        lines.append(_("🔗 With: {link}").format(link=link))
    lines.append(_("💬 Message: {text}").format(text=body))
    return lines


def menu_view(
    lines: list[Line], page: int, *, library: Library, banks: BankStore, offer_year: int | None
) -> Rendered:
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    text = [_("<b>Reminders</b>")]
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    if not lines:
        text.append(_("No reminders yet. Create one: it reaches only the learners who need it."))
    for line in lines[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        reminder = line.reminder
        status = _("⏸ paused") if reminder.paused else ""
        if not reminder.paused:
            status = (
                _("next: {moment}").format(moment=when(line.next_fire, reminder.timezone))
                if line.next_fire
                else _("finished")
            )
        body = step_text(reminder.campaign) or reminder.text
        text.append(
            f"\n<b>#{reminder.id}</b> · {escape(line.unit_name)} · {status}\n"
            f"{describe_schedule(reminder)}\n"
            f"{describe_audience(reminder, library, banks)}\n<i>{escape(_short(body))}</i>"
        )
        rid = reminder.id or 0
        if reminder.paused:
            builder.button(text=f"▶ #{rid}", callback_data=Cb(act="resume", id=rid))
        else:
            builder.button(text=f"⏸ #{rid}", callback_data=Cb(act="pause", id=rid))
        builder.button(text=f"🧪 #{rid}", callback_data=Cb(act="test", id=rid))
        builder.button(text=f"🗑 #{rid}", callback_data=Cb(act="del", id=rid))
        sizes.append(3)
    if pages > 1:
        if page > 0:
            builder.button(text="◀", callback_data=Cb(act="menu", v=str(page - 1)))
        builder.button(text=f"{page + 1}/{pages}", callback_data=Cb(act="menu", v=str(page)))
        if page < pages - 1:
            builder.button(text="▶", callback_data=Cb(act="menu", v=str(page + 1)))
        sizes.append(1 + (page > 0) + (page < pages - 1))
    builder.button(text=_("➕ New reminder"), callback_data=Cb(act="new"))
    sizes.append(1)
    if offer_year is not None:
        builder.button(
            text=_("🇻🇳 19/8 series ({year})").format(year=offer_year),
            callback_data=Cb(act="offer", v=str(offer_year)),
        )
        sizes.append(1)
    builder.adjust(*sizes)
    if lines:
        text.append("\n" + _("⏸ pause · ▶ resume · 🧪 send a test to me · 🗑 delete"))
    return "\n".join(text), builder.as_markup()


def _short(text: str, limit: int = 120) -> str:
    """A one-line preview of an HTML message, as plain text."""
    flat = " ".join(unescape(TAG.sub("", text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def not_trainer() -> str:
    return _("Reminders are for trainers: you are not a trainer of any unit.")


def picker_view(title: str, options: list[str], page: int, *, act: str = "pick") -> Rendered:
    """A paged list of buttons; each sends its index (the choices are kept in the wizard)."""
    pages = max(1, -(-len(options) // PICK_PAGE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    first = page * PICK_PAGE
    shown = options[first : first + PICK_PAGE]
    for index, option in enumerate(shown, start=first):
        builder.button(text=option[:64], callback_data=Cb(act=act, id=index))
    sizes = [1] * len(shown)
    if pages > 1:
        nav = 0
        if page > 0:
            builder.button(text="◀", callback_data=Cb(act="pg", v=str(page - 1)))
            nav += 1
        if page < pages - 1:
            builder.button(text="▶", callback_data=Cb(act="pg", v=str(page + 1)))
            nav += 1
        sizes.append(nav)
    _cancel(builder)
    sizes.append(1)
    builder.adjust(*sizes)
    return title, builder.as_markup()


def unit_title() -> str:
    return _("<b>New reminder</b> (1/5)\nWhich unit? The units below it are included.")


def audience_view() -> Rendered:
    builder = InlineKeyboardBuilder()
    for audience, label in AUDIENCES.items():
        builder.button(text=_(label), callback_data=Cb(act="aud", v=audience.value))
    _cancel(builder)
    builder.adjust(1)
    return _("<b>New reminder</b> (2/5)\nWho should get it?"), builder.as_markup()


def explainer_title() -> str:
    return _("Which explainer? Learners who have read it will not be reminded.")


def bank_title() -> str:
    return _("Which quiz? Learners who have passed it will not be reminded.")


def broadcast_prompt() -> Rendered:
    builder = InlineKeyboardBuilder()
    _cancel(builder)
    return _("Send the number of the broadcast (e.g. 12)."), builder.as_markup()


def text_prompt() -> Rendered:
    builder = InlineKeyboardBuilder()
    _cancel(builder)
    text = _("<b>New reminder</b> (3/5)\nSend the message for your learners (formatting is kept).")
    return text, builder.as_markup()


def link_view(suggestion: str | None) -> Rendered:
    builder = InlineKeyboardBuilder()
    if suggestion:
        builder.button(text=suggestion[:64], callback_data=Cb(act="link", v="same"))
    builder.button(text=_("💬 Text only"), callback_data=Cb(act="link", v="text"))
    builder.button(
        text=_("📖 Add a link to an explainer"), callback_data=Cb(act="link", v="explainer")
    )
    builder.button(text=_("📝 Add a quiz button"), callback_data=Cb(act="link", v="quiz"))
    _cancel(builder)
    builder.adjust(1)
    return _("Add a link under the message?"), builder.as_markup()


def suggestion_label(kind: MessageKind, title: str) -> str:
    if kind is MessageKind.EXPLAINER:
        return _("📖 Link to “{title}”").format(title=title)
    return _("📝 Quiz button “{title}”").format(title=title)


def kind_view() -> Rendered:
    builder = InlineKeyboardBuilder()
    for kind, label in KINDS.items():
        builder.button(text=_(label), callback_data=Cb(act="kind", v=kind.value))
    _cancel(builder)
    builder.adjust(2, 2, 1, 1)
    return _("<b>New reminder</b> (4/5)\nHow often?"), builder.as_markup()


def schedule_prompt(kind: Kind, zone: str) -> Rendered:
    prompts = {
        Kind.ONCE: _("Send the date and time, e.g. 19/08/2026 08:00."),
        Kind.DAILY: _("Send the time of day, e.g. 08:00."),
        Kind.WEEKLY: _("Send the days and the time, e.g. T2 T4 T6 08:00 (CN is Sunday)."),
        Kind.MONTHLY: _(
            "Send the day of the month and the time, e.g. 1 08:00. Day 29-31 falls on the "
            "last day of shorter months."
        ),
        Kind.CRON: _(
            "Send a cron line: minute hour day month weekday, e.g. <code>0 8 * * 1-5</code>."
        ),
    }
    builder = InlineKeyboardBuilder()
    _cancel(builder)
    note = _("Time zone: {zone}.").format(zone=zone)
    return f"{prompts[kind]}\n{note}", builder.as_markup()


def confirm_view(
    reminder: Reminder,
    unit_name: str,
    next_fire: datetime | None,
    *,
    library: Library,
    banks: BankStore,
    default_quiet: str,
) -> Rendered:
    lines = [_("<b>New reminder</b> (5/5): check and confirm"), ""]
    lines += summary(reminder, unit_name, library, banks)
    if next_fire is not None:
        lines.append(_("➡️ First: {moment}").format(moment=when(next_fire, reminder.timezone)))
    builder = InlineKeyboardBuilder()
    quiet_on = reminder.quiet_hours != "off"
    builder.button(
        text=(
            _("🌙 Quiet hours {hours}: on") if quiet_on else _("🌙 Quiet hours {hours}: off")
        ).format(hours=reminder.quiet_hours if quiet_on else default_quiet),
        callback_data=Cb(act="quiet"),
    )
    builder.button(
        text=_("🎌 Skip holidays: on") if reminder.skip_holidays else _("🎌 Skip holidays: off"),
        callback_data=Cb(act="hol"),
    )
    builder.button(text=_("📅 Start and end dates"), callback_data=Cb(act="dates"))
    builder.button(text=_("✅ Create"), callback_data=Cb(act="ok"))
    _cancel(builder)
    builder.adjust(1, 1, 1, 2)
    return "\n".join(lines), builder.as_markup()


def dates_prompt() -> Rendered:
    builder = InlineKeyboardBuilder()
    _cancel(builder)
    text = _(
        "Send the first and last day, e.g. 01/09/2026-31/12/2026, or only the last day as "
        "-31/12/2026. Send 0 to remove the dates."
    )
    return text, builder.as_markup()


def created_view(reminder: Reminder, next_fire: datetime | None) -> Rendered:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📋 All reminders"), callback_data=Cb(act="menu"))
    builder.button(
        text=_("🧪 Send a test to me"), callback_data=Cb(act="test", id=reminder.id or 0)
    )
    builder.adjust(2)
    text = _("✅ Reminder #{number} is scheduled.").format(number=reminder.id)
    if next_fire is not None:
        text += "\n" + _("First: {moment}").format(moment=when(next_fire, reminder.timezone))
    return text, builder.as_markup()


def delete_view(reminder: Reminder) -> Rendered:
    builder = InlineKeyboardBuilder()
    rid = reminder.id or 0
    builder.button(text=_("🗑 Yes, delete"), callback_data=Cb(act="delok", id=rid))
    builder.button(text=_("Keep it"), callback_data=Cb(act="menu"))
    builder.adjust(2)
    text = _("Delete reminder #{number}? Messages not sent yet are cancelled.").format(number=rid)
    return text, builder.as_markup()


def problem_text(error: ReminderError) -> str:
    match error.problem:
        case Problem.NOT_FOUND:
            return _("This reminder no longer exists.")
        case Problem.EMPTY_TEXT:
            return _("The message is empty: send some text.")
        case Problem.LONG_TEXT:
            return _("The message is too long: at most {limit} characters.").format(
                limit=error.detail
            )
        case Problem.NEVER_FIRES:
            return _("With these settings the reminder would never be sent (is the time past?).")
        case Problem.SCHEDULE:
            return _("I could not read the schedule: check the time, the days and the dates.")
        case Problem.ALREADY_CREATED:
            return already_created()
        case _:
            return _("Something is missing: start again with /nhacnho.")


def already_created() -> str:
    return _("Already created: this reminder exists once, it is not created again.")


def unreadable() -> str:
    return _("I could not read that. Try again.")


def not_allowed() -> str:
    return _("You may not manage reminders of this unit.")


def unknown_broadcast() -> str:
    return _("There is no broadcast with that number. Send another number.")


def cancelled() -> str:
    return _("Cancelled. Nothing was created.")


def paused_answer(paused: bool) -> str:
    return _("Paused.") if paused else _("Resumed: missed fires are not sent.")


def deleted_answer(number: int) -> str:
    return _("Reminder #{number} is deleted.").format(number=number)


def test_answer() -> str:
    return _("A test is on its way to you.")


def offer_none() -> str:
    return _("The 19/8 series is already enabled for all your units.")


def campaign_answer(added: int) -> str:
    if added:
        return _("Enabled. Reminders added: {count}. See them in /nhacnho.").format(count=added)
    return _("Already enabled (or every date has passed): nothing added.")


def ack_answer(status: AckStatus) -> str:
    match status:
        case AckStatus.LOGGED:
            return _("✅ Thank you, noted.")
        case AckStatus.ALREADY:
            return _("You have already marked this reminder as seen.")
        case AckStatus.TEST:
            return _("This was a test: nothing is recorded.")
        case AckStatus.NOT_COUNTED:
            return _("Thank you. Join your unit (open its invite link) so it is counted.")
        case _:
            return _("This reminder is no longer available.")


def snooze_answer(result: SnoozeResult, zone: str) -> str:
    if result.status is SnoozeStatus.SNOOZED and result.at is not None:
        return _("⏰ I will remind you again at {time}.").format(
            time=f"{result.at.astimezone(ZoneInfo(zone)):%H:%M}"
        )
    if result.status is SnoozeStatus.ALREADY:
        return _("You can snooze a reminder only once.")
    return _("This reminder is no longer available.")
