"""Longer user-facing texts, kept out of handlers. Every string goes through gettext."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _

from bot.services.access import Access
from bot.services.enrollment import EnrollResult, EnrollStatus
from bot.storage.models import Role
from bot.telegram.commands import available_to


def role_name(role: Role) -> str:
    names = {
        Role.LEARNER: _("learner"),
        Role.TRAINER: _("trainer"),
        Role.OFFICER: _("officer"),
        Role.ADMIN: _("administrator"),
    }
    return names[role]


def welcome(first_name: str | None) -> str:
    name = escape(first_name or "")
    return _(
        "Hello {name}! I am <b>Cảnh Giác</b>, the security-awareness assistant of your "
        "agency, enterprise or school.\n\nI explain the documents behind the movement "
        '"Toàn dân bảo vệ an ninh Tổ quốc" (Directive 07/CT-BCA-V28) in short lessons, '
        "quiz you on staying vigilant (state secrets, scams, cyber safety, fire, crime) and "
        "remind you of your unit's training."
    ).format(name=name)


def consent_notice() -> str:
    return _(
        "<b>Before we start: your data</b>\n\n"
        "<b>What is kept:</b> your Telegram id, name and language; the units you join; the "
        "lessons you read, your quiz answers and scores, and which reminders and messages "
        "you acknowledged.\n"
        "<b>Why:</b> to count your unit's participation in security-awareness training for "
        "its yearly assessment.\n"
        "<b>Who sees it:</b> you; the trainers and officers of your own units; the bot's "
        "administrators. Nobody else.\n"
        "<b>How long:</b> while you are a member of a unit, or until you ask me to delete "
        "it.\n"
        "<b>Your rights:</b> you can see, export or delete your data and withdraw consent "
        "at any time with /riengtu (/privacy).\n\n"
        "If you are under 18, a parent or guardian must agree before you accept.\n"
        'Nothing is recorded until you press "I agree".'
    )


def consent_declined() -> str:
    return _(
        "Understood: nothing about you has been recorded. You can still change your mind: "
        "send /start whenever you are ready."
    )


def consent_given() -> str:
    return _("Thank you. Your consent is recorded; you can withdraw it any time with /riengtu.")


def consent_required() -> str:
    return _(
        'Please read the notice above and press "I agree" first, or send /start to see it again.'
    )


def enroll_result(result: EnrollResult) -> str:
    unit = escape(result.unit.name) if result.unit else ""
    role = role_name(result.role) if result.role else ""
    match result.status:
        case EnrollStatus.ENROLLED:
            return _("You have joined <b>{unit}</b> as {role}.").format(unit=unit, role=role)
        case EnrollStatus.ALREADY:
            return _("You are already a member of <b>{unit}</b> as {role}.").format(
                unit=unit, role=role
            )
        case EnrollStatus.EXPIRED:
            return _("This invite code has expired. Ask your trainer or officer for a new one.")
        case EnrollStatus.USED_UP:
            return _(
                "This invite code has been used up. Ask your trainer or officer for a new one."
            )
        case _:
            return _(
                "I do not know this invite code. Check it for typos, or ask your trainer or "
                "officer for the link."
            )


def no_unit_yet() -> str:
    return _(
        "You have not joined a unit yet. Open the invite link your trainer or officer sent "
        "you, or send /start followed by the invite code."
    )


def help_text(access: Access | None, language: str) -> str:
    lines = [_("<b>What I can do for you</b>")]
    for spec in available_to(access):
        name = spec.name_for(language)
        other = spec.en if name == spec.vi else spec.vi
        alias = f" (/{other})" if other != name else ""
        lines.append(f"/{name}{alias} — {escape(_(spec.description))}")
    if access is not None and access.grants:
        units = ", ".join(f"{escape(g.unit_name)} ({role_name(g.role)})" for g in access.grants)
        lines.append("\n" + _("Your units: {units}").format(units=units))
    return "\n".join(lines)


def unknown_command() -> str:
    return _("I do not know this command. Send /trogiup (/help) to see what I can do.")


def unknown_text() -> str:
    return _("I did not understand that. Send /trogiup (/help) to see what I can do.")


def choose_language() -> str:
    return _("Choose your language:")


def language_set() -> str:
    return _("Done: I will speak English with you.")


def privacy_overview(public_name: bool) -> str:
    shown = (
        _("Your name may appear on your unit's honour roll.")
        if public_name
        else _("On honour rolls you appear by initials only.")
    )
    return _(
        "<b>Your data</b>\n\nI keep your Telegram id, name, language, units and your "
        "participation (lessons read, quiz answers, acknowledgments) so your unit can count "
        "its training. Trainers and officers see it only for their own units.\n\n{shown}"
    ).format(shown=shown)


def forget_confirm() -> str:
    return _(
        "Delete your data? Your name and personal details are erased and you leave your "
        "units. Your unit keeps only anonymous counts. This cannot be undone."
    )


def forgotten() -> str:
    return _(
        "Your personal data has been erased and your consent withdrawn. Send /start if you "
        "ever want to come back."
    )


def kept_as_is() -> str:
    return _("Nothing was changed.")


def name_visibility_saved() -> str:
    return _("Saved.")


def no_real_user() -> str:
    return _(
        "I do not take commands from anonymous senders or channels. Send the command from "
        "your own Telegram account (turn off anonymous admin mode) or write to me in private."
    )


def stale_button() -> str:
    return _("This button is no longer active.")


def something_went_wrong() -> str:
    return _("Sorry, something went wrong on my side. Please try again in a moment.")
