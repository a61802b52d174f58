"""Inline keyboards shared by several routers."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.telegram.callbacks import AgeCb, ConsentCb, LanguageCb, PrivacyCb

LANGUAGE_LABELS = {"vi": "Tiếng Việt", "en": "English"}


def consent_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ I agree"), callback_data=ConsentCb(accept=True))
    builder.button(text=_("✖️ No, thanks"), callback_data=ConsentCb(accept=False))
    builder.adjust(2)
    return builder.as_markup()


def age_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, I am under 18"), callback_data=AgeCb(minor=True))
    builder.button(text=_("No, I am 18 or older"), callback_data=AgeCb(minor=False))
    builder.adjust(1)
    return builder.as_markup()


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, label in LANGUAGE_LABELS.items():
        builder.button(text=label, callback_data=LanguageCb(code=code))
    builder.adjust(2)
    return builder.as_markup()


def privacy_keyboard(public_name: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📄 Export my data"), callback_data=PrivacyCb(action="export"))
    if public_name:
        builder.button(
            text=_("🙈 Show only my initials"), callback_data=PrivacyCb(action="private")
        )
    else:
        builder.button(
            text=_("🏅 Show my name on honour rolls"), callback_data=PrivacyCb(action="public")
        )
    builder.button(text=_("📜 Notice and your rights"), callback_data=PrivacyCb(action="notice"))
    builder.button(text=_("🗑 Delete my data"), callback_data=PrivacyCb(action="forget"))
    builder.adjust(1)
    return builder.as_markup()


def confirm_forget_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, delete"), callback_data=PrivacyCb(action="forget_yes"))
    builder.button(text=_("No, keep it"), callback_data=PrivacyCb(action="forget_no"))
    builder.adjust(2)
    return builder.as_markup()
