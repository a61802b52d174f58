"""How statistics, honour rolls and invites look in chat: texts and keyboards.

The unit table is a `<pre>` block that fits one message; child units beyond a page are reached
with ◀ ▶. Buttons carry absolute period codes, so a button pressed next month still means the
period it was made for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.periods import FIRST_DAY, LAST_DAY, Period, PeriodKind, preset
from bot.reports.model import Figures, HonourRoll, UnitReport, UnitRow
from bot.services.invites import Invite
from bot.services.units import UnitNode
from bot.storage.models import Role
from bot.telegram.callbacks import HonourCb, InviteCb, StatsCb
from bot.telegram.i18n import N_
from bot.telegram.texts import role_name

MESSAGE_LIMIT = 4096
CHILDREN_PER_PAGE = 15
UNITS_PER_PAGE = 8
CODE_WIDTH = 16
HEADERS = N_("Unit|Mbr|Act|Read|Quiz|Pass%|Avg|Rem|Ann|Tier")


def period_name(period: Period) -> str:
    names = {
        PeriodKind.MONTH: _("this month"),
        PeriodKind.QUARTER: _("this quarter"),
        PeriodKind.YEAR: _("assessment year"),
        PeriodKind.PREVIOUS_YEAR: _("previous assessment year"),
    }
    name = names.get(period.kind)
    return f"{name}, {period.label()}" if name else period.label()


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if digits else str(round(value))


def _short(code: str) -> str:
    return code if len(code) <= CODE_WIDTH else code[: CODE_WIDTH - 1] + "…"


def _cells(row: UnitRow) -> list[str]:
    figures: Figures = row.figures
    card = figures.scorecard
    return [
        _short(row.unit.code),
        str(figures.members),
        str(figures.active),
        str(figures.lesson_reads),
        str(figures.quiz_finished),
        _number(figures.pass_rate),
        _number(figures.average_score),
        str(figures.reminder_acks),
        str(figures.broadcast_acks),
        (card.tier or "–") if card else "–",
    ]


def _table(rows: Sequence[UnitRow]) -> str:
    # One message, so that translators see the columns together; "|" separates them.
    headers = _(HEADERS).split("|")
    if len(headers) != HEADERS.count("|") + 1:
        headers = HEADERS.split("|")
    body = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return " ".join([first, *rest])

    lines = [line(headers), line(body[0]), "-" * len(line(headers))]
    lines += [line(cells) for cells in body[1:]]
    return "<pre>" + escape("\n".join(lines)) + "</pre>"


def pages(report: UnitReport) -> int:
    return max(1, -(-len(report.children) // CHILDREN_PER_PAGE))


def report_text(report: UnitReport, page: int) -> str:
    page = min(max(page, 0), pages(report) - 1)
    children = report.children[page * CHILDREN_PER_PAGE : (page + 1) * CHILDREN_PER_PAGE]
    lines = [
        _("📊 <b>{unit}</b> ({code})").format(
            unit=escape(report.unit.name), code=escape(report.unit.code)
        ),
        _("Period: {period}").format(period=escape(period_name(report.period))),
    ]
    if pages(report) > 1:
        lines.append(
            _("Child units {first}–{last} of {count}").format(
                first=page * CHILDREN_PER_PAGE + 1,
                last=page * CHILDREN_PER_PAGE + len(children),
                count=len(report.children),
            )
        )
    lines.append(_table([report.total, *children]))
    lines.append(
        _(
            "Mbr members · Act active members · Read explainers read · Quiz quizzes finished · "
            "Pass% pass rate · Avg average score · Rem reminder acknowledgments · "
            "Ann announcement acknowledgments · Tier participation tier"
        )
    )
    card = report.total.figures.scorecard
    if card is not None and card.score is not None:
        lines.append(
            _("Participation score {score}/100, tier <b>{tier}</b>.").format(
                score=f"{card.score:.1f}", tier=card.tier
            )
        )
    lines.append(
        _(
            "<i>The tier is a participation indicator: it supports, and does not replace, the "
            "official “đạt / chưa đạt” recognition of Circular 124/2021/TT-BCA.</i>"
        )
    )
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else "\n".join(lines[:-2])


def report_keyboard(report: UnitReport, page: int, today: date) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    unit, code = report.unit.id, report.period.code()
    sizes: list[int] = []
    if pages(report) > 1:
        nav = 0
        if page > 0:
            builder.button(
                text="◀", callback_data=StatsCb(act="show", unit=unit, period=code, page=page - 1)
            )
            nav += 1
        builder.button(
            text=f"{page + 1}/{pages(report)}",
            callback_data=StatsCb(act="show", unit=unit, period=code, page=page),
        )
        nav += 1
        if page < pages(report) - 1:
            builder.button(
                text="▶", callback_data=StatsCb(act="show", unit=unit, period=code, page=page + 1)
            )
            nav += 1
        sizes.append(nav)
    builder.button(
        text=_("📈 Trend chart"), callback_data=StatsCb(act="chart", unit=unit, period=code)
    )
    builder.button(text=_("📗 Excel"), callback_data=StatsCb(act="xlsx", unit=unit, period=code))
    builder.button(text=_("📄 CSV"), callback_data=StatsCb(act="csv", unit=unit, period=code))
    sizes.append(3)
    presets = [
        (PeriodKind.MONTH, _("📅 Month")),
        (PeriodKind.QUARTER, _("📅 Quarter")),
        (PeriodKind.YEAR, _("📅 Year 16/11")),
        (PeriodKind.PREVIOUS_YEAR, _("📅 Last year")),
    ]
    for kind, label in presets:
        chosen = preset(kind, today)
        mark = "• " if chosen == report.period else ""
        builder.button(
            text=f"{mark}{label}",
            callback_data=StatsCb(act="show", unit=unit, period=chosen.code()),
        )
    sizes.append(4)
    builder.adjust(*sizes)
    return builder.as_markup()


def choose_unit(
    units: Sequence[UnitNode], period: Period, *, honour: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for node in units[:50]:
        data: StatsCb | HonourCb = (
            HonourCb(unit=node.id, period=period.code())
            if honour
            else StatsCb(act="show", unit=node.id, period=period.code())
        )
        builder.button(text=f"{node.code} · {node.name}"[:64], callback_data=data)
    builder.adjust(1)
    return _("Which unit? You can also write its code after the command."), builder.as_markup()


def learner_not_allowed() -> str:
    return _(
        "Unit statistics are for trainers and officers. Your own results are in /ketqua (/results)."
    )


def unit_not_allowed() -> str:
    return _("You are not allowed to see this unit: it is outside the units you were granted.")


def unknown_unit(code: str) -> str:
    return _("There is no unit with the code {code}.").format(code=escape(code[:40]))


def bad_period(problem: str) -> str:
    return _(
        "I could not read the period ({problem}). Write tháng, quý, năm, năm trước, or "
        "dd/mm/yyyy-dd/mm/yyyy, e.g. /thongke 01/01/2026-31/03/2026."
    ).format(problem=escape(problem))


def period_out_of_range() -> str:
    return _(
        "Dates must lie between {first} and {last}. Write tháng, quý, năm, năm trước, or "
        "dd/mm/yyyy-dd/mm/yyyy, e.g. /thongke 01/01/2026-31/03/2026."
    ).format(first=f"{FIRST_DAY:%d/%m/%Y}", last=f"{LAST_DAY:%d/%m/%Y}")


def preparing() -> str:
    return _("Preparing the file…")


def chart_caption(report_unit: str, period: Period) -> str:
    return _("Weekly active members and quiz pass rate: {unit}, {period}.").format(
        unit=escape(report_unit), period=period.label()
    )


def export_caption(unit: str, period: Period, with_people: bool, omitted: int = 0) -> str:
    if omitted:
        return _(
            "{unit}, {period}. {count} members: too many to list here; export a child unit to "
            "see its members."
        ).format(unit=escape(unit), period=period.label(), count=omitted)
    if with_people:
        return _("{unit}, {period}. Contains personal data: keep it within your unit.").format(
            unit=escape(unit), period=period.label()
        )
    return _("{unit}, {period}. Unit totals only.").format(unit=escape(unit), period=period.label())


# --- honour roll ------------------------------------------------------------------------


def honour_text(roll: HonourRoll) -> str:
    lines = [
        _("🏅 <b>Honour roll</b>: {unit}").format(unit=escape(roll.unit.name)),
        _("Period: {period}").format(period=escape(period_name(roll.period))),
    ]
    if roll.units:
        lines.append("\n" + _("<b>Units with the best participation</b>"))
        for number, unit in enumerate(roll.units, start=1):
            lines.append(
                _("{number}. {name} — {score}/100, tier {tier}").format(
                    number=number,
                    name=escape(unit.unit.name),
                    score=f"{unit.score:.1f}",
                    tier=unit.tier,
                )
            )
    lines.append("\n" + _("<b>Learners with the most quizzes passed</b>"))
    if not roll.learners:
        lines.append(_("Nobody has passed a quiz in this period yet."))
    for number, learner in enumerate(roll.learners, start=1):
        average = _number(learner.average_score)
        lines.append(
            _("{number}. {name} — {passed} passed, average {average}%").format(
                number=number,
                name=escape(learner.label),
                passed=learner.quiz_passed,
                average=average,
            )
        )
    lines.append(
        "\n"
        + _("<i>Names appear only for people who chose so in /riengtu; others by initials.</i>")
    )
    return "\n".join(lines)


def honour_keyboard(roll: HonourRoll, today: date) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind, label in (
        (PeriodKind.MONTH, _("📅 Month")),
        (PeriodKind.QUARTER, _("📅 Quarter")),
        (PeriodKind.YEAR, _("📅 Year 16/11")),
        (PeriodKind.PREVIOUS_YEAR, _("📅 Last year")),
    ):
        chosen = preset(kind, today)
        mark = "• " if chosen == roll.period else ""
        builder.button(
            text=f"{mark}{label}", callback_data=HonourCb(unit=roll.unit.id, period=chosen.code())
        )
    builder.adjust(4)
    return builder.as_markup()


def no_unit_for_honour() -> str:
    return _("Join a unit first: the honour roll shows the units you belong to.")


# --- invites ----------------------------------------------------------------------------


def invite_browser(
    node: UnitNode | None, children: Sequence[UnitNode], page: int, *, can_pick: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """A unit and its children: invite into this one, or go down to a child."""
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    if node is not None and can_pick:
        builder.button(
            text=_("✅ Invite into {code}").format(code=node.code)[:64],
            callback_data=InviteCb(act="pick", unit=node.id),
        )
        sizes.append(1)
    count = len(children)
    last_page = max(0, (count - 1) // UNITS_PER_PAGE)
    page = min(max(page, 0), last_page)
    for child in children[page * UNITS_PER_PAGE : (page + 1) * UNITS_PER_PAGE]:
        builder.button(
            text=f"📂 {child.code} · {child.name}"[:64],
            callback_data=InviteCb(act="open", unit=child.id),
        )
        sizes.append(1)
    here = node.id if node is not None else 0
    nav = 0
    if page > 0:
        builder.button(text="◀", callback_data=InviteCb(act="open", unit=here, page=page - 1))
        nav += 1
    if page < last_page:
        builder.button(text="▶", callback_data=InviteCb(act="open", unit=here, page=page + 1))
        nav += 1
    if nav:
        sizes.append(nav)
    builder.adjust(*sizes)
    if node is None:
        text = _("<b>New invite</b>\nChoose the unit:")
    else:
        text = _("<b>New invite</b>\nUnit: {name} ({code})").format(
            name=escape(node.name), code=escape(node.code)
        )
        if children:
            text += "\n" + _("Invite into this unit, or open one of its units below.")
    return text, builder.as_markup()


def invite_roles(node: UnitNode, roles: Sequence[Role]) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for role in roles:
        builder.button(
            text=role_name(role), callback_data=InviteCb(act="make", unit=node.id, role=role.value)
        )
    builder.adjust(len(roles))
    text = _("<b>New invite</b> into {name} ({code})\nWhich role will people get?").format(
        name=escape(node.name), code=escape(node.code)
    )
    return text, builder.as_markup()


def invite_made(invite: Invite, link: str, expires: date | None) -> str:
    lines = [
        _("🎟 Invite into <b>{name}</b> as {role}:").format(
            name=escape(invite.unit.name), role=role_name(invite.role)
        ),
        link,
        _("Code: <code>{code}</code>").format(code=invite.code),
    ]
    if expires is not None:
        lines.append(_("Valid until {day}.").format(day=f"{expires:%d/%m/%Y}"))
    lines.append(
        _("Share the link or the QR code below. People who open it see the data notice first.")
    )
    return "\n".join(lines)


def invite_not_allowed() -> str:
    return _("Only officers and administrators can create invites, within their own units.")


def qr_caption(invite: Invite) -> str:
    return _("QR code: {name} ({code})").format(
        name=escape(invite.unit.name), code=escape(invite.unit.code)
    )
