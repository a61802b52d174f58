"""What the scheduler sends: the reminder message (with "Seen" and "Remind me in an hour"),
the yearly 19/8 offer to trainers, the built-in series' texts, and officers' monthly report.

The renderers turn a card into a `Payload` in one language; they run outside any update (in
the scheduler) as well as inside handlers, so they enter the i18n context themselves.
"""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.render import TEXT_LIMIT, Button, Payload
from bot.domain import campaigns
from bot.domain.content_links import doc_deep_link
from bot.domain.periods import Period
from bot.reports.model import UnitReport
from bot.services import stats
from bot.services.access import Access
from bot.services.bank_store import BankStore, key_of
from bot.services.content_store import ContentStore
from bot.services.reminder_campaign import OfferUnit
from bot.services.reminder_fires import Card
from bot.services.stats import StatsConfig
from bot.settings import Settings
from bot.storage.models_reminders import MessageKind
from bot.telegram import stats_views
from bot.telegram.callbacks import QuizMenuCb, ReminderAdminCb, ReminderCb, StatsCb
from bot.telegram.i18n import N_

BUTTON_LIMIT = 64
OFFER_UNITS_SHOWN = 8
REPORT_ACCESS = Access(user_id=0, is_admin=True)
STEP_TEXTS = {
    "d14": N_(
        "In two weeks, on 19/8, comes the “Ngày hội toàn dân bảo vệ an ninh Tổ quốc” "
        "(Decision 521/QĐ-TTg), the same day as the traditional day of the People's Public "
        "Security. Read the short explainer to see what the day means."
    ),
    "d7": N_(
        "One week to the festival of 19/8. Test yourself on Directive 07/CT-BCA-V28 with the "
        "short quiz; your answers count towards your unit's participation."
    ),
    "d1": N_(
        "Tomorrow, 19/8, is the “Ngày hội toàn dân bảo vệ an ninh Tổ quốc”. Take a few "
        "minutes to look again at Directive 07/CT-BCA-V28 and at what your unit does for "
        "security and order."
    ),
    "d0": N_(
        "Today, 19/8, is the “Ngày hội toàn dân bảo vệ an ninh Tổ quốc” and the traditional "
        "day of the People's Public Security. Join your unit's activities, and stay vigilant "
        "every day."
    ),
}


def _cut(text: str, limit: int = BUTTON_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def step_text(campaign: str | None) -> str | None:
    """The translated text of a built-in series step, None for a trainer's own reminder."""
    parsed = campaigns.parse_campaign_key(campaign)
    return _(STEP_TEXTS[parsed[1].key]) if parsed else None


class ReminderRenderer:
    """Renders reminder cards (`bot.services.reminder_fires.Renderer`)."""

    def __init__(
        self, i18n: I18n, *, bot_username: str, content: ContentStore, banks: BankStore
    ) -> None:
        self.i18n = i18n
        self.bot_username = bot_username
        self.content = content
        self.banks = banks

    def __call__(self, card: Card, language: str) -> Payload:
        with self.i18n.context(), self.i18n.use_locale(language):
            return self._render(card, language)

    def _render(self, card: Card, language: str) -> Payload:
        lines = []
        if card.test:
            lines.append(_("🧪 <i>Test: only you received this.</i>"))
        lines.append(_("🔔 <b>Reminder</b> · {unit}").format(unit=escape(card.unit_name)))
        lines.append("")
        lines.append(step_text(card.campaign) or card.text)
        rows: list[tuple[Button, ...]] = []
        link = self._link(card, language)
        if link is not None:
            rows.append((link,))
        seen = Button(_("✅ Seen"), callback=ReminderCb(act="ack", fire=card.fire_id).pack())
        if card.can_snooze:
            later = Button(
                _("⏰ Remind me in 1 hour"),
                callback=ReminderCb(act="snz", fire=card.fire_id).pack(),
            )
            rows.append((seen, later))
        else:
            rows.append((seen,))
        return Payload("\n".join(lines), buttons=tuple(rows))

    def _link(self, card: Card, language: str) -> Button | None:
        if not card.link_ref:
            return None
        if card.message_kind == MessageKind.EXPLAINER.value:
            explainer = self.content.library.get(card.link_ref, language)
            title = explainer.title if explainer else card.link_ref
            url = doc_deep_link(self.bot_username, card.link_ref)
            return Button(_cut(_("📖 Read: {title}").format(title=title)), url=url)
        if card.message_kind == MessageKind.QUIZ.value:
            bank = self.banks.get(card.link_ref)
            title = bank.title if bank else card.link_ref
            data = QuizMenuCb(act="new", bank=key_of(card.link_ref)).pack()
            return Button(_cut(_("📝 Quiz: {title}").format(title=title)), callback=data)
        return None


class OfferRenderer:
    """Renders the yearly offer of the 19/8 series (`bot.services.reminder_campaign`)."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    def __call__(self, year: int, units: list[OfferUnit], language: str) -> Payload:
        with self.i18n.context(), self.i18n.use_locale(language):
            return offer_payload(year, units)


def offer_text(year: int) -> str:
    return _(
        "🇻🇳 <b>Ngày hội toàn dân bảo vệ an ninh Tổ quốc, 19/8/{year}</b>\n"
        "Decision {decree} makes 19/8 of each year the festival. I have a ready series of "
        "reminders for your learners: two weeks before, one week before (with a quiz), the day "
        "before and on the day. Enable it for a unit with one tap; you can pause or delete "
        "each reminder later in /nhacnho."
    ).format(year=year, decree=campaigns.DECREE)


def offer_payload(year: int, units: list[OfferUnit]) -> Payload:
    rows = tuple(
        (
            Button(
                _cut(_("✅ Enable for {unit}").format(unit=name)),
                callback=ReminderAdminCb(act="camp", id=unit_id, v=str(year)).pack(),
            ),
        )
        for unit_id, name in units[:OFFER_UNITS_SHOWN]
    )
    return Payload(offer_text(year), buttons=rows)


class MonthlyReportRenderer:
    """Officers' monthly report (`bot.services.monthly_reports.ReportRenderer`): the `/thongke`
    table of last month from the stats service, with `/thongke`'s own buttons for the details
    and the Excel file (its router checks the officer's scope again)."""

    def __init__(self, i18n: I18n, settings: Settings) -> None:
        self.i18n = i18n
        self.config = StatsConfig.from_settings(settings)

    async def __call__(
        self, session: AsyncSession, unit_id: int, period: Period, language: str
    ) -> Payload:
        # The officers' own scope was checked when they were chosen for this unit.
        report = await stats.unit_report(
            session, access=REPORT_ACCESS, unit_id=unit_id, period=period, config=self.config
        )
        with self.i18n.context(), self.i18n.use_locale(language):
            return monthly_report_payload(report)


def monthly_report_payload(report: UnitReport) -> Payload:
    table = stats_views.report_text(report, 0)
    header = _("🗓 <b>Monthly report</b>: {period}").format(
        period=escape(stats_views.period_name(report.period))
    )
    text = f"{header}\n\n{table}"
    code = report.period.code()
    buttons = (
        Button(
            _("📗 Excel"), callback=StatsCb(act="xlsx", unit=report.unit.id, period=code).pack()
        ),
        Button(
            _("📊 Details"), callback=StatsCb(act="show", unit=report.unit.id, period=code).pack()
        ),
    )
    return Payload(text if len(text) <= TEXT_LIMIT else table, buttons=(buttons,))
