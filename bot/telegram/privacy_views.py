"""Texts and keyboards of the privacy flows: the private-chat redirect, a minor's guardian link
and the guardian's side. The notice itself is in `texts`."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.telegram.callbacks import GuardianCb


def _date(moment: datetime, zone: ZoneInfo) -> str:
    if moment.tzinfo is None:  # SQLite hands stored UTC times back without their zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%H:%M %d/%m/%Y")


# --- private chat only -------------------------------------------------------------------------


def private_only() -> str:
    return _(
        "This shows personal data, so it works only in our private chat. Open it with the "
        "button below."
    )


def private_only_toast() -> str:
    return _("This works only in our private chat: I am opening it for you.")


def open_private(link: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔒 Open the private chat"), url=link)
    return builder.as_markup()


# --- the minor ---------------------------------------------------------------------------------


def guardian_needed(link: str, expires: datetime, zone: ZoneInfo) -> str:
    return _(
        "Because you are under 18, a parent or legal guardian must agree too. Send them this "
        "link; they open it in Telegram and answer there:\n\n{link}\n\n"
        "The link works until {until}. Until they agree, nothing about you is recorded: I "
        "keep only your Telegram id, language, invite code and this link, and delete them "
        "within a day after the link expires if no one agrees."
    ).format(link=link, until=_date(expires, zone))


def guardian_waiting(link: str, expires: datetime, zone: ZoneInfo) -> str:
    return _(
        "Your parent or guardian has not agreed yet, so I cannot record anything for you. "
        "Send them this link (it works until {until}):\n\n{link}"
    ).format(link=link, until=_date(expires, zone))


def minor_keyboard(link: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    share = f"https://t.me/share/url?url={quote(link, safe='')}"
    builder.button(text=_("📤 Send the link"), url=share)
    builder.button(text=_("🔄 A new link"), callback_data=GuardianCb(act="new"))
    builder.button(text=_("↩️ Start over"), callback_data=GuardianCb(act="over"))
    builder.adjust(1)
    return builder.as_markup()


def guardian_agreed_minor() -> str:
    return _(
        "Your parent or guardian has agreed: your consent is now recorded. You can withdraw "
        "it any time with /riengtu."
    )


def guardian_refused_minor() -> str:
    return _(
        "Your parent or guardian did not agree, so I record nothing about you. Your Telegram "
        "id and language are deleted automatically within 7 days."
    )


def guardian_withdrew_minor() -> str:
    return _(
        "Your parent or guardian has withdrawn their consent: your personal data has been "
        "erased. Send /start if you want to begin again."
    )


def continue_keyboard(link: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("▶️ Continue"), url=link)
    return builder.as_markup()


# --- the guardian ------------------------------------------------------------------------------


def guardian_notice(retention_days: int) -> str:
    return _(
        "<b>Consent of a parent or guardian</b>\n\n"
        "The person who sent you this link is under 18 and wants to use Cảnh Giác, the "
        "security-awareness assistant of their school, agency or enterprise.\n\n"
        "With your agreement I keep their name and username from Telegram, their units, the "
        "lessons they read, their quiz answers and scores and the reminders they confirm, to "
        "count their unit's participation in training. Their units' officers and the bot's "
        "administrators see it; their trainers see the units' totals and whether messages "
        "reached them. They can export or delete it at any time with /riengtu; it is erased "
        "at most {days} days after they leave their last unit.\n\n"
        "If you agree, I also keep your Telegram id and the time, as proof of your consent, "
        "for as long as their data is kept. You can withdraw your consent by opening this "
        "link again. As for anyone who writes to me, your Telegram id and language are "
        "otherwise deleted within 7 days, unless you agree to use the bot yourself.\n\n"
        "Do you agree, as their parent or legal guardian?"
    ).format(days=retention_days)


def guardian_keyboard(token: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ I agree, as parent or guardian"), callback_data=GuardianCb(act="ok", token=token)
    )
    builder.button(text=_("✖️ I do not agree"), callback_data=GuardianCb(act="no", token=token))
    builder.adjust(1)
    return builder.as_markup()


def guardian_thanks() -> str:
    return _(
        "Thank you: your consent is recorded and they can start. To withdraw it, open the "
        "same link again."
    )


def guardian_declined() -> str:
    return _("Understood: nothing about them will be recorded. I have told them.")


def guardian_agreed_before(agreed: datetime, zone: ZoneInfo) -> str:
    return _(
        "You agreed on {day}. You can withdraw your consent: their personal data is then "
        "erased and the bot stops recording anything for them."
    ).format(day=_date(agreed, zone))


def withdraw_keyboard(token: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🗑 Withdraw my consent"), callback_data=GuardianCb(act="end", token=token)
    )
    return builder.as_markup()


def guardian_withdrawn() -> str:
    return _("Done: your consent is withdrawn and their personal data erased.")


def link_own() -> str:
    return _(
        "This link is for your parent or guardian, not for you: send it to them, and they "
        "agree from their own Telegram account."
    )


def link_taken() -> str:
    return _("A parent or guardian has already answered this link.")


def link_invalid() -> str:
    return _(
        "This link does not work (any more). Ask for a new one: the person sends /start to "
        'the bot and presses "A new link".'
    )
