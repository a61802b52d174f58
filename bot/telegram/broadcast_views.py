"""How broadcasts look: the trainer's wizard, the message recipients get, the live status and
the final report."""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.delivery.render import Button, Payload
from bot.domain.content_links import doc_deep_link
from bot.domain.content_model import Explainer
from bot.domain.quiz import Bank
from bot.services.bank_store import key_of
from bot.services.broadcasts import ContentKind, Draft, Progress
from bot.services.units import UnitNode, UnitTree
from bot.storage.models_delivery import DeliveryStatus
from bot.telegram.callbacks import BroadcastAckCb, BroadcastCb, QuizMenuCb

Rendered = tuple[str, InlineKeyboardMarkup]
LABEL_LIMIT = 60


def _cancel_button(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("✖️ Cancel"), callback_data=BroadcastCb(act="drop"))


# The wizard


def units_view(tree: UnitTree, units: list[UnitNode], chosen: set[int]) -> Rendered:
    builder = InlineKeyboardBuilder()
    top = min((tree.depth(unit.id) for unit in units), default=0)
    for unit in units:
        mark = "☑️" if unit.id in chosen else "⬜"
        indent = "· " * (tree.depth(unit.id) - top)
        builder.button(
            text=f"{mark} {indent}{unit.name}"[:LABEL_LIMIT],
            callback_data=BroadcastCb(act="unit", v=unit.id),
        )
    builder.button(text=_("Next ▶"), callback_data=BroadcastCb(act="next"))
    _cancel_button(builder)
    builder.adjust(*([1] * len(units)), 2)
    text = _(
        "<b>📣 New broadcast</b>\nChoose the units to send to. Everyone in their sub-units "
        "receives it too; a person in several units gets it once."
    )
    return text, builder.as_markup()


def content_prompt() -> Rendered:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📖 Link a lesson"), callback_data=BroadcastCb(act="lesson"))
    builder.button(text=_("📝 Link a quiz"), callback_data=BroadcastCb(act="quiz"))
    _cancel_button(builder)
    builder.adjust(2, 1)
    text = _(
        "Now send the message itself: text (bold, italics and links are kept), a photo or a "
        "document with a caption. Or link a lesson or a quiz with a button:"
    )
    return text, builder.as_markup()


def choice_view(title: str, labels: list[str]) -> Rendered:
    builder = InlineKeyboardBuilder()
    for index, label in enumerate(labels):
        builder.button(text=label[:LABEL_LIMIT], callback_data=BroadcastCb(act="pick", v=index))
    _cancel_button(builder)
    builder.adjust(1)
    return title, builder.as_markup()


def lessons_title() -> str:
    return _("Which lesson?")


def quizzes_title() -> str:
    return _("Which quiz?")


def lesson_body(explainer: Explainer) -> str:
    return f"📖 <b>{escape(explainer.title)}</b>\n\n{escape(explainer.summary)}"


def quiz_body(bank: Bank) -> str:
    return _("📝 <b>Quiz: {title}</b>\n\nTest yourself: press the button to start.").format(
        title=escape(bank.title)
    )


def unsupported_content() -> str:
    return _("Please send text, a photo or a document (or use the buttons above).")


def too_long(limit: int) -> str:
    return _("That is too long: at most {limit} characters, please send a shorter one.").format(
        limit=limit
    )


def options_view(draft: Draft, unit_names: list[str], recipients: int, zone: tzinfo) -> Rendered:
    builder = InlineKeyboardBuilder()
    tick = {True: "☑️", False: "⬜"}
    builder.button(
        text=tick[draft.ask_ack] + " " + _("Ask to acknowledge"),
        callback_data=BroadcastCb(act="ack"),
    )
    builder.button(
        text=tick[draft.silent] + " " + _("Silent (no sound)"),
        callback_data=BroadcastCb(act="silent"),
    )
    if draft.scheduled_at is None:
        builder.button(text=_("🕒 Send later…"), callback_data=BroadcastCb(act="when"))
    else:
        builder.button(text=_("⚡ Send now instead"), callback_data=BroadcastCb(act="now"))
    builder.button(text=_("👁 Preview ▶"), callback_data=BroadcastCb(act="preview"))
    _cancel_button(builder)
    builder.adjust(1, 1, 1, 2)
    lines = [
        _("<b>Options</b>"),
        _("To: {units}").format(units=escape(", ".join(unit_names))),
        _("Recipients: {count}").format(count=recipients),
    ]
    if draft.scheduled_at is not None:
        lines.append(_("Sending at {when}.").format(when=local_time(draft.scheduled_at, zone)))
    return "\n".join(lines), builder.as_markup()


def when_prompt(zone_name: str) -> Rendered:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⚡ Send now instead"), callback_data=BroadcastCb(act="now"))
    _cancel_button(builder)
    builder.adjust(1)
    text = _(
        "When should it go? Send a time like <code>18:30</code> (today, or tomorrow if "
        "already past) or <code>25/12 08:00</code>. Time zone: {zone}."
    ).format(zone=escape(zone_name))
    return text, builder.as_markup()


def bad_time() -> str:
    return _("I could not read that time, or it has passed. Try e.g. 18:30 or 25/12 08:00.")


def confirm_view(recipients: int, scheduled_at: datetime | None, zone: tzinfo) -> Rendered:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Send"), callback_data=BroadcastCb(act="send"))
    builder.button(text=_("✏️ Change options"), callback_data=BroadcastCb(act="back"))
    _cancel_button(builder)
    builder.adjust(1, 2)
    text = _("☝️ This is exactly what the recipients will see. Recipients: {count}").format(
        count=recipients
    )
    if scheduled_at is not None:
        text += "\n" + _("It will go at {when}.").format(when=local_time(scheduled_at, zone))
    return text, builder.as_markup()


def dropped() -> str:
    return _("Cancelled: nothing was sent.")


def no_units() -> str:
    return _("You have no units to broadcast to. Ask an administrator for the trainer role.")


def trainers_only() -> str:
    return _("Only trainers can send broadcasts.")


def choose_a_unit() -> str:
    return _("Choose at least one unit first.")


def nobody() -> str:
    return _("Nobody in these units can receive it yet (no one has joined and agreed).")


def stale() -> str:
    return _("This step is over. Send /phatbai to start a new broadcast.")


def already_sent() -> str:
    return _("Already sent: this broadcast went out once, it is not sent again.")


# What recipients get


def payload(
    draft: Draft,
    broadcast_id: int,
    *,
    bot_username: str,
) -> Payload:
    """The recipient's message, in the current locale (the button labels)."""
    rows: list[tuple[Button, ...]] = []
    if draft.kind is ContentKind.LESSON and draft.link_ref:
        url = doc_deep_link(bot_username, draft.link_ref)
        rows.append((Button(_("📖 Read the lesson"), url=url),))
    elif draft.kind is ContentKind.QUIZ and draft.link_ref:
        data = QuizMenuCb(act="new", bank=key_of(draft.link_ref)).pack()
        rows.append((Button(_("📝 Take the quiz"), callback=data),))
    if draft.ask_ack:
        ack = BroadcastAckCb(b=broadcast_id).pack()
        rows.append((Button(_("✅ I have read it"), callback=ack),))
    media = {ContentKind.PHOTO: "photo", ContentKind.DOCUMENT: "document"}.get(draft.kind)
    return Payload(
        text=draft.body,
        media=media,  # type: ignore[arg-type]
        file_id=draft.file_id if media else None,
        buttons=tuple(rows),
        silent=draft.silent,
    )


def ack_answer(logged: bool) -> str:
    if logged:
        return _("✅ Recorded. Thank you!")
    return _("You have already confirmed this message.")


def preview_ack() -> str:
    return _("This is only the preview: nothing is recorded here.")


def not_a_recipient() -> str:
    return _("This message was not sent to you.")


# Status and report


def local_time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M %d/%m/%Y")


def eta_text(seconds: float) -> str:
    if seconds < 90:
        return _("Time left: about {n} s").format(n=max(1, round(seconds)))
    return _("Time left: about {n} min").format(n=round(seconds / 60))


def _counts_line(progress: Progress) -> str:
    return _(
        "Sent: {sent}/{total} · failed: {failed} · blocked: {blocked} · pending: {pending}"
    ).format(
        sent=progress.count(DeliveryStatus.SENT),
        total=progress.total,
        failed=progress.count(DeliveryStatus.FAILED),
        blocked=progress.count(DeliveryStatus.BLOCKED),
        pending=progress.unsettled,
    )


def status_view(
    progress: Progress,
    unit_names: list[str],
    *,
    rate: float,
    now: datetime,
    zone: tzinfo,
) -> Rendered:
    broadcast = progress.broadcast
    lines = [
        _("📣 <b>Broadcast #{id}</b> to {units}").format(
            id=broadcast.id, units=escape(", ".join(unit_names))
        ),
        _counts_line(progress),
    ]
    if broadcast.scheduled_at is not None and broadcast.scheduled_at > now:
        lines.append(
            _("Scheduled for {when}.").format(when=local_time(broadcast.scheduled_at, zone))
        )
    elif progress.unsettled:
        lines.append(eta_text(progress.unsettled / rate))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("⛔ Cancel the rest"), callback_data=BroadcastCb(act="stop", v=broadcast.id or 0)
    )
    return "\n".join(lines), builder.as_markup()


def final_view(progress: Progress, unit_names: list[str]) -> str:
    broadcast = progress.broadcast
    head = (
        _("📣 <b>Broadcast #{id}</b> cancelled")
        if broadcast.status == "cancelled"
        else _("📣 <b>Broadcast #{id}</b> finished")
    )
    return "\n".join(
        [
            head.format(id=broadcast.id) + " — " + escape(", ".join(unit_names)),
            _counts_line(progress),
        ]
    )


def status_name(status: str) -> str:
    names = {
        DeliveryStatus.FAILED.value: _("failed"),
        DeliveryStatus.BLOCKED.value: _("blocked"),
        DeliveryStatus.UNCERTAIN.value: _("uncertain"),
        DeliveryStatus.CANCELLED.value: _("cancelled"),
    }
    return names.get(status, status)


def report_text(progress: Progress, reasons: list[tuple[tuple[str, str], int]]) -> str:
    lines = [
        _("<b>Report of broadcast #{id}</b>").format(id=progress.broadcast.id),
        _("Delivered: {sent} of {total}").format(
            sent=progress.count(DeliveryStatus.SENT), total=progress.total
        ),
    ]
    labels = {
        DeliveryStatus.FAILED: _("Failed: {n}"),
        DeliveryStatus.BLOCKED: _("Blocked the bot: {n}"),
        DeliveryStatus.UNCERTAIN: _("Uncertain (the bot stopped mid-send; may have arrived): {n}"),
        DeliveryStatus.CANCELLED: _("Cancelled: {n}"),
    }
    for status, label in labels.items():
        if progress.count(status):
            lines.append(label.format(n=progress.count(status)))
    if reasons:
        lines.append(_("Reasons:"))
        for (state, error), count in reasons[:8]:
            reason = f"{status_name(state)} ({error})" if error else status_name(state)
            lines.append(f"• {escape(reason)}: {count}")
        lines.append(_("The attached file lists who did not get it."))
    return "\n".join(lines)


def cancelled_answer(count: int) -> str:
    return _("Cancelled. Messages not sent: {count}").format(count=count)


def not_yours() -> str:
    return _(
        "Only the person who sent this broadcast, while still a trainer of its units, or an "
        "admin can cancel it."
    )
