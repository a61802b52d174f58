"""How quizzes look in chat: the topic menu, the question card, feedback, the final card,
results, group polls and the leaderboard. Pure rendering: text and keyboards, no I/O."""

from __future__ import annotations

from datetime import timedelta, tzinfo
from html import escape
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputPollOption
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.content_links import doc_deep_link
from bot.domain.quiz import Bank, Question
from bot.domain.quiz_engine import DrawnQuestion
from bot.services.bank_store import key_of
from bot.services.quiz_groups import GroupRound, LeaderRow
from bot.services.quiz_outcomes import Feedback, QuestionCard, StepStatus, Summary
from bot.services.quiz_results import Results
from bot.telegram.callbacks import QuizCb, QuizMenuCb

LETTERS = "ABCDEFGHIJKL"
MESSAGE_BUDGET = 3900  # below Telegram's 4096, leaving room for the closing lines
SHORT_QUESTION = 110
MEDALS = ("🥇", "🥈", "🥉")
RULE = "\n──────────\n"
Rendered = tuple[str, InlineKeyboardMarkup]


def _short(text: str, limit: int = SHORT_QUESTION) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def duration_text(span: timedelta) -> str:
    total = max(0, round(span.total_seconds()))
    minutes, seconds = divmod(total, 60)
    if minutes and not seconds:
        return _("{minutes} min").format(minutes=minutes)
    if minutes:
        return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=seconds)
    return _("{seconds} s").format(seconds=seconds)


def bank_menu(
    banks: list[Bank], *, running: QuestionCard | None = None, unknown: str | None = None
) -> Rendered:
    lines = []
    if unknown:
        lines.append(_('I do not know the topic "{name}".').format(name=escape(unknown[:64])))
    lines.append(_("<b>Vigilance quizzes</b>"))
    lines.append(
        _("Choose a topic. Each question has a time limit; one left unanswered counts as wrong.")
    )
    builder = InlineKeyboardBuilder()
    if running is not None:
        lines.append(
            "\n"
            + _(
                "You have a quiz in progress: <b>{title}</b>, question {number} of {total}. "
                "Continue it, or choose a topic to start again."
            ).format(
                title=escape(running.bank.title),
                number=running.position + 1,
                total=running.total,
            )
        )
        builder.button(
            text=_("▶ Continue: {title}").format(title=running.bank.title),
            callback_data=QuizMenuCb(act="cont"),
        )
    for bank in banks:
        builder.button(
            text=_("{title} ({count} questions)").format(
                title=bank.title, count=bank.questions_per_attempt
            ),
            callback_data=QuizMenuCb(act="go", bank=key_of(bank.id)),
        )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def group_menu(banks: list[Bank], *, unknown: str | None = None) -> Rendered:
    lines = []
    if unknown:
        lines.append(_('I do not know the topic "{name}".').format(name=escape(unknown[:64])))
    lines.append(_("<b>Group quiz</b>\nChoose a topic and I will post its quiz polls here."))
    builder = InlineKeyboardBuilder()
    for bank in banks:
        data = QuizMenuCb(act="go", bank=key_of(bank.id))
        builder.button(text=bank.title, callback_data=data)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def not_counted_note() -> str:
    return _(
        "ℹ️ You have not joined a unit yet, so this quiz is not counted for anyone. Open your "
        "unit's invite link once and your next quizzes will count."
    )


def question_card(
    card: QuestionCard,
    *,
    feedback: Feedback | None = None,
    bot_username: str = "",
    note: str | None = None,
    ticked: int = 0,
) -> Rendered:
    parts = []
    if feedback is not None:
        parts.append(feedback_text(feedback, bot_username) + RULE)
    if note:
        parts.append(note + "\n")
    parts.append(
        _("📝 <b>{title}</b> · question {number}/{total}").format(
            title=escape(card.bank.title), number=card.position + 1, total=card.total
        )
    )
    limit = _("⏱ {seconds} s to answer.").format(seconds=card.bank.seconds_per_question)
    if card.multiple:
        limit += " " + _("Several answers are right: tick them all, then press Submit.")
    parts.append(limit)
    parts.append(f"\n<b>{escape(card.question.text)}</b>\n")
    options = card.drawn.options(card.question)
    parts.extend(f"{LETTERS[i]}. {escape(text)}" for i, text in enumerate(options))
    return "\n".join(parts), question_keyboard(card, ticked)


def question_keyboard(card: QuestionCard, ticked: int = 0) -> InlineKeyboardMarkup:
    # Built row by row: InlineKeyboardBuilder deep-copies the whole keyboard on every button,
    # which is most of the cost of a card on the quiz's hot path.
    buttons = []
    for index in range(len(card.drawn.order)):
        if card.multiple:
            mark = "☑" if ticked >> index & 1 else "☐"
            data = QuizCb(act="t", at=card.attempt_id, pos=card.position, opt=index, sel=ticked)
            buttons.append(_button(f"{mark} {LETTERS[index]}", data))
        else:
            data = QuizCb(act="a", at=card.attempt_id, pos=card.position, opt=index)
            buttons.append(_button(LETTERS[index], data))
    count = len(buttons)
    per_row = count if count <= 5 else (count + 1) // 2
    rows = [buttons[start : start + per_row] for start in range(0, count, per_row)]
    if card.multiple:
        submit = QuizCb(act="s", at=card.attempt_id, pos=card.position, sel=ticked)
        rows.append([_button(_("✅ Submit"), submit)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _button(text: str, data: QuizCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _right_answer(feedback: Feedback) -> str:
    options = feedback.drawn.options(feedback.question)
    shown = sorted(feedback.drawn.displayed_correct(feedback.question))
    return "; ".join(f"{LETTERS[i]}. {escape(options[i])}" for i in shown)


def feedback_text(feedback: Feedback, bot_username: str) -> str:
    if feedback.timed_out:
        head = _("⏰ Time is up. The right answer: {answer}").format(answer=_right_answer(feedback))
    elif feedback.correct:
        head = _("✅ Right!")
    else:
        head = _("❌ Not quite. The right answer: {answer}").format(answer=_right_answer(feedback))
    lines = [head, f"<i>{escape(feedback.question.explanation)}</i>"]
    if bot_username:
        link = doc_deep_link(bot_username, feedback.question.learn_more)
        label = _("Learn more")
        lines.append(f'📖 <a href="{escape(link)}">{escape(label)}</a>')
    return "\n".join(lines)


def final_card(feedback: Feedback | None, summary: Summary, *, bot_username: str) -> Rendered:
    parts = []
    if feedback is not None:
        parts.append(feedback_text(feedback, bot_username) + RULE)
    parts.append(_("🏁 <b>{title}</b>: finished").format(title=escape(summary.bank.title)))
    parts.append(
        _("Score: {correct}/{total} ({percent}%)").format(
            correct=summary.correct, total=summary.total, percent=summary.percent
        )
    )
    mark = summary.bank.pass_mark
    if summary.passed:
        parts.append(_("✅ Passed (pass mark {mark}%)").format(mark=mark))
    else:
        parts.append(_("❌ Not passed yet (pass mark {mark}%)").format(mark=mark))
    parts.append(_("Time taken: {duration}").format(duration=duration_text(summary.duration)))
    if summary.missed:
        parts.append("\n" + _("<b>Questions to review:</b>"))
        used = sum(len(part) + 1 for part in parts)
        for index, missed in enumerate(summary.missed):
            line = f"• {escape(_short(missed.question.text))}\n  → {_right_answer(missed)}"
            if used + len(line) > MESSAGE_BUDGET:
                rest = len(summary.missed) - index
                parts.append(_("… and {count} more.").format(count=rest))
                break
            parts.append(line)
            used += len(line) + 1
    else:
        parts.append(_("No mistakes: well done!"))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🔁 Try again"), callback_data=QuizMenuCb(act="new", bank=key_of(summary.bank.id))
    )
    builder.button(text=_("📊 My results"), callback_data=QuizMenuCb(act="res"))
    builder.button(text=_("📚 Other topics"), callback_data=QuizMenuCb(act="menu"))
    builder.adjust(2, 1)
    return "\n".join(parts), builder.as_markup()


def step_toast(status: StepStatus, feedback: Feedback | None = None) -> str:
    """The short notice a tap gets (at most 200 characters)."""
    match status:
        case StepStatus.ENDED:
            return _("This quiz has ended. Send /kiemtra to start a new one.")
        case StepStatus.ALREADY:
            return _("This question is already answered.")
        case StepStatus.NOT_YOURS:
            return _("This quiz belongs to someone else.")
        case StepStatus.TIMED_OUT:
            return _("⏰ Time was up for this question.")
    if feedback is not None and feedback.correct:
        return _("✅ Right!")
    return _("❌ Wrong")


def tick_first() -> str:
    return _("Tick at least one answer first.")


def cooldown_text(wait: timedelta) -> str:
    minutes = max(1, -(-round(wait.total_seconds()) // 60))
    return _("You can retake this quiz in {minutes} min.").format(minutes=minutes)


def results_view(results: Results, zone: tzinfo) -> Rendered:
    builder = InlineKeyboardBuilder()
    if results.empty:
        builder.button(text=_("📝 Take a quiz"), callback_data=QuizMenuCb(act="menu"))
        return _("You have not finished a quiz yet. Send /kiemtra to take one."), (
            builder.as_markup()
        )
    parts = [_("<b>Your quiz results</b>")]
    if results.attempts:
        parts.append("\n" + _("<b>Recent attempts</b>"))
        for line in results.attempts:
            when = line.finished_at.astimezone(zone).strftime("%d/%m %H:%M")
            icon = "✅" if line.passed else "❌"
            parts.append(
                f"{icon} {when} · {escape(line.title)}: "
                f"{line.correct}/{line.total} ({line.percent}%)"
            )
    if results.best:
        parts.append("\n" + _("<b>Best score per topic</b>"))
        for best in results.best:
            icon = "✅" if best.passed else "▫️"
            parts.append(f"{icon} {escape(best.bank.title)}: {best.percent}%")
    if results.due:
        parts.append("\n" + _("<b>To review now</b>"))
        for topic in results.due:
            parts.append(
                _("• {title}: {count} questions").format(
                    title=escape(topic.bank.title), count=len(topic.questions)
                )
            )
            parts.extend(f"   – {escape(_short(q.text, 80))}" for q in topic.questions[:3])
            builder.button(
                text=_("🔁 Review: {title}").format(title=topic.bank.title),
                callback_data=QuizMenuCb(act="new", bank=key_of(topic.bank.id)),
            )
    if results.scheduled and results.next_due is not None:
        when = results.next_due.astimezone(zone).strftime("%d/%m")
        parts.append(
            "\n"
            + _("Reviews planned later: {count} (next on {date}).").format(
                count=results.scheduled, date=when
            )
        )
    builder.button(text=_("📝 Take a quiz"), callback_data=QuizMenuCb(act="menu"))
    builder.adjust(1)
    text = "\n".join(parts)
    if len(text) > MESSAGE_BUDGET:
        text = text[:MESSAGE_BUDGET].rsplit("\n", 1)[0]
    return text, builder.as_markup()


def round_intro(plan: GroupRound) -> str:
    return _(
        "🧠 <b>Group quiz: {title}</b>\n{count} questions, open for {duration}. Answer the "
        "polls below; answers of members who joined their unit are counted. /bangxephang "
        "shows the leaderboard."
    ).format(
        title=escape(plan.bank.title),
        count=len(plan.items),
        duration=duration_text(timedelta(seconds=plan.open_period)),
    )


def round_too_soon(wait: timedelta) -> str:
    return _("A round was posted here a moment ago. Please wait {seconds} s.").format(
        seconds=max(1, round(wait.total_seconds()))
    )


def poll_fields(question: Question, drawn: DrawnQuestion) -> dict[str, Any]:
    """sendPoll arguments of one question, as plain text (no parse mode)."""
    shown = sorted(drawn.displayed_correct(question))
    return {
        "question": question.text,
        "question_parse_mode": None,
        "options": [
            InputPollOption(text=text, text_parse_mode=None) for text in drawn.options(question)
        ],
        "type": "quiz",
        "is_anonymous": False,
        "allows_multiple_answers": len(shown) > 1,
        "correct_option_ids": shown,
        "explanation": question.explanation,
        "explanation_parse_mode": None,
    }


def leaderboard_view(rows: list[LeaderRow], title: str | None) -> str:
    if not rows:
        return _("No answers are counted in this group yet. Start a round with /kiemtra.")
    head = _("🏆 <b>Leaderboard: {group}</b>").format(group=escape(title or ""))
    lines = [head]
    for rank, row in enumerate(rows):
        place = MEDALS[rank] if rank < len(MEDALS) else f"{rank + 1}."
        lines.append(
            _("{place} {name}: {correct} right of {answered}").format(
                place=place, name=escape(row.name), correct=row.correct, answered=row.answered
            )
        )
    return "\n".join(lines)


def leaderboard_private() -> str:
    return _(
        "The leaderboard belongs to a group: add me to your group and send /bangxephang there."
    )


def results_in_group() -> str:
    return _("Your results are private: send /ketqua to me in a private chat.")
