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


def _whom(contact: str) -> str:
    """Where a person turns for what the bot cannot do itself."""
    if contact:
        return _("your unit's officer or the bot's administrators ({contact})").format(
            contact=escape(contact)
        )
    return _("your unit's officer or the bot's administrators")


def consent_notice(retention_days: int, contact: str) -> str:
    """The notice shown before consent and again in /riengtu. Every sentence is true of the
    code; which code makes each one true is listed in the privacy section of the README."""
    return _(
        "<b>Before we start: your data</b>\n\n"
        "<b>Kept already, before you answer:</b> your Telegram id and language, and the invite "
        "code you opened (if any), so that I can answer in your language and keep your invite. "
        "If you do not agree, they are deleted automatically within 7 days of your first "
        "contact.\n\n"
        "<b>Kept once you agree:</b> your name and username as your Telegram profile shows "
        "them; the units you join and your role there; the lessons you open and read, your "
        "quiz answers and scores; the reminders and messages sent to you, whether they reached "
        "you and which ones you confirmed.\n\n"
        "<b>Why:</b> to count your unit's participation in security-awareness training for its "
        "yearly assessment, and to keep your place in lessons and quizzes.\n\n"
        "<b>Who sees it:</b> you see all of it (/riengtu). Trainers of your units and of the "
        "units above them see the units' totals, and the name, username and Telegram id of "
        "anyone a message they sent did not reach. Officers of those units and the bot's "
        "administrators also see each member's name, username and figures. Other members see "
        "you on honour rolls (/vinhdanh) and group quiz leaderboards by your initials with "
        "your results, or by your name if you choose so in /riengtu.\n\n"
        "<b>How long:</b> while you are a member of a unit, and at most {days} days after your "
        "last membership ends (or after you agree, if you never join a unit); then it is "
        "erased automatically.\n\n"
        "<b>Erasure:</b> your name, your Telegram id and your own quiz and lesson records are "
        "deleted. Your units keep their participation rows under a code computed from your id "
        "with a secret key: they no longer name you, but they are pseudonymous, not anonymous "
        "(whoever holds the key and your id can link them).\n\n"
        "<b>Under 18:</b> a parent or guardian must agree too: I will give you a link for "
        "them, valid for 7 days. Until they agree nothing else about you is recorded; if no "
        "one agrees, your id, language, invite code and the link are deleted within a day "
        "after the link expires.\n\n"
        "<b>Your rights</b> (Decree 13/2023/NĐ-CP, Law 91/2025/QH15):\n"
        "• to be informed: this notice, again at any time in /riengtu;\n"
        "• to agree or refuse: the buttons below; to withdraw consent: /riengtu → Delete my "
        "data;\n"
        "• to access and get a copy: /riengtu → Export my data (a file);\n"
        "• to correct: your name and username are refreshed from your Telegram profile at "
        "every message, so change them in Telegram; your language: /ngonngu; your units and "
        "roles: ask {whom};\n"
        "• to delete: /riengtu → Delete my data;\n"
        "• to restrict or object: on honour rolls show only your initials (/riengtu); for "
        "anything else, ask {whom}, or withdraw your consent;\n"
        "• to complain: to {whom}, or to the state authority in charge of personal data "
        "protection."
    ).format(days=retention_days, whom=_whom(contact))


def consent_declined() -> str:
    return _(
        "Understood. I keep only your Telegram id and language, so that I answer you in your "
        "language; your invite code, if you sent one, is dropped. Both are deleted "
        "automatically within 7 days, and nothing else about you is recorded. Send /start "
        "whenever you change your mind."
    )


def consent_given() -> str:
    return _("Thank you. Your consent is recorded; you can withdraw it any time with /riengtu.")


def consent_required() -> str:
    return _(
        'Please read the notice above and press "I agree" first, or send /start to see it again.'
    )


def age_question() -> str:
    return _("One more question before I record your consent:\n\n<b>Are you under 18?</b>")


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


def help_text(access: Access | None, language: str, *, private: bool = True) -> str:
    """Commands the person may use; their units only in a private chat."""
    lines = [_("<b>What I can do for you</b>")]
    for spec in available_to(access):
        name = spec.name_for(language)
        other = spec.en if name == spec.vi else spec.vi
        alias = f" (/{other})" if other != name else ""
        lines.append(f"/{name}{alias} — {escape(_(spec.description))}")
    if private and access is not None and access.grants:
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
        _("On honour rolls and group quiz leaderboards you appear by your name.")
        if public_name
        else _("On honour rolls and group quiz leaderboards you appear by your initials only.")
    )
    return _(
        "<b>Your data</b>\n\nI keep your name and username (from Telegram), your language, "
        "your units and roles, and your participation: lessons, quiz answers and scores, "
        "reminders and messages. {shown}\n\n"
        "<b>Export</b>: a file with everything I hold about you. <b>Delete</b>: erases you and "
        "withdraws your consent; your units keep only pseudonymous rows. <b>Notice</b>: what "
        "is kept, who sees it, how long, and your rights."
    ).format(shown=shown)


def forget_confirm() -> str:
    return _(
        "Delete your data? Your consent is withdrawn, you leave your units, and your name, "
        "username, Telegram id and your own quiz and lesson records are deleted. Your units "
        "keep their participation rows under a pseudonym (a code computed from your id with a "
        "secret key), so their figures stay right. This cannot be undone."
    )


def forgotten() -> str:
    return _(
        "Done: your personal data is erased and your consent withdrawn. If you write to me "
        "again, I keep only your Telegram id and language until you agree again (deleted "
        "within 7 days if you do not)."
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
