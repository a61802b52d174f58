"""Typed, short callback data. The prefix carries a version so old buttons can be told apart."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ConsentCb(CallbackData, prefix="c1"):
    accept: bool


class AgeCb(CallbackData, prefix="ag1"):
    minor: bool  # the answer to "under 18?", asked once the person agreed


class GuardianCb(CallbackData, prefix="gd1"):
    # The guardian: "ok" agrees, "no" refuses, "end" withdraws an earlier agreement.
    # The minor: "new" asks for a new link, "over" starts over (the notice again).
    act: str
    token: str = ""


class LanguageCb(CallbackData, prefix="l1"):
    code: str


class PrivacyCb(CallbackData, prefix="p1"):
    action: str  # "export", "public", "private", "notice", "forget", "forget_yes", "forget_no"


class LessonCb(CallbackData, prefix="ls1"):
    action: str  # "cats", "cat", "open", "page", "toc", "read"
    ref: str = ""  # a category key or an explainer id
    page: int = 0


class QuizCb(CallbackData, prefix="qz1"):
    act: str  # "a" answer, "t" tick an option (several answers), "s" submit the ticked ones
    at: int  # attempt id
    pos: int  # question position: a tap for an earlier question is stale
    opt: int = 0  # displayed option index
    sel: int = 0  # options ticked so far, as bits (kept in the buttons, not in the database)


class QuizMenuCb(CallbackData, prefix="qm1"):
    act: str  # "go"/"new" start a bank (in place/anew), "cont" continue, "res", "menu"
    bank: str = ""  # a bank key (bot.services.bank_store.key_of)


class ReminderCb(CallbackData, prefix="rn1"):
    act: str  # "ack" seen, "snz" remind me again in an hour
    fire: int  # a `ReminderFire` id: the handler checks it was sent to this person


class ReminderAdminCb(CallbackData, prefix="rm1"):
    act: str  # a step of `/nhacnho` (bot.telegram.routers.reminders)
    id: int = 0  # a reminder, a unit or an index into the choices offered
    v: str = ""  # a short value: a page, a year, an on/off flag


class BroadcastCb(CallbackData, prefix="bc1"):
    # "unit" toggle a unit, "next", "lesson"/"quiz" list them, "pick" one, "ack"/"silent"
    # toggle, "when"/"now" schedule, "preview", "send", "back", "drop" the draft, "stop" a
    # running broadcast
    act: str
    v: int = 0  # a unit id, a list index or a broadcast id


class BroadcastAckCb(CallbackData, prefix="ba1"):
    b: int  # broadcast id (0 in a preview)


class StatsCb(CallbackData, prefix="st1"):
    act: str  # "show" the table, "chart", "xlsx", "csv"
    unit: int
    period: str  # bot.domain.periods.Period.code(): absolute dates
    page: int = 0  # page of child units


class InviteCb(CallbackData, prefix="iv1"):
    act: str  # "open" a unit (its children), "pick" it, "make" the invite with `role`
    unit: int = 0
    role: str = ""
    page: int = 0


class HonourCb(CallbackData, prefix="hr1"):
    unit: int
    period: str  # bot.domain.periods.Period.code()
