"""Typed, short callback data. The prefix carries a version so old buttons can be told apart."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ConsentCb(CallbackData, prefix="c1"):
    accept: bool


class LanguageCb(CallbackData, prefix="l1"):
    code: str


class PrivacyCb(CallbackData, prefix="p1"):
    action: str  # "public", "private", "forget", "forget_yes", "forget_no"


class LessonCb(CallbackData, prefix="ls1"):
    action: str  # "cats", "cat", "open", "page", "toc", "read"
    ref: str = ""  # a category key or an explainer id
    page: int = 0
