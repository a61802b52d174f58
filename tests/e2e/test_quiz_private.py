"""A whole private quiz through the emulator: one answer right, one wrong, one timed out by the
timer; the final card and the ledger; double taps, stale buttons, and a restart mid-quiz.

Texts are checked through what does not change with the catalog (emoji, numbers, commands), so
the tests hold before and after the Vietnamese translations are merged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.chat_driver import ChatDriver, plain_text
from bot.domain.quiz_engine import DrawnQuestion
from bot.emulator import Emulator, SentMessage
from bot.offline import OfflineBot
from bot.services.bank_store import BankStore
from bot.services.users import CONSENT_VERSION
from bot.settings import Settings
from bot.storage.models import ParticipationEvent, QuizAttempt, User
from bot.telegram.callbacks import QuizCb
from tests.e2e.helpers import World, join

SECONDS = 2  # the loader's floor is 5 s (Telegram's open_period); tests use less
BANK_YAML = """\
id: thu
title: "Bộ thử"
language: vi
topic: thu
pass_mark: 60
questions_per_attempt: 3
seconds_per_question: 5
questions:
"""
QUESTION_YAML = """\
  - id: thu-{n}
    text: "Câu hỏi thử số {n}?"
    options: ["Phương án đúng {n}", "Phương án sai {n}", "Phương án khác {n}"]
    correct: 0
    explanation: "Giải thích cho câu {n}."
    difficulty: easy
    source: SEED
    learn_more: chi-thi-07
"""


def quiz_banks(folder: Path) -> BankStore:
    folder.mkdir()
    text = BANK_YAML + "".join(QUESTION_YAML.format(n=n) for n in range(1, 4))
    (folder / "thu.yaml").write_text(text, encoding="utf-8")
    loaded = BankStore(folder)
    return BankStore.of(
        *(dataclasses.replace(b, seconds_per_question=SECONDS) for b in loaded.banks.values())
    )


@pytest.fixture
def banks(tmp_path: Path) -> BankStore:
    return quiz_banks(tmp_path / "quizzes")


@pytest.fixture
async def offline(
    settings: Settings, emulator: Emulator, banks: BankStore
) -> AsyncIterator[OfflineBot]:
    bot = await OfflineBot.start(settings, emulator=emulator, banks=banks, quiz_timer_interval=0.2)
    yield bot
    await bot.stop()


async def current(offline: OfflineBot, user_id: int) -> tuple[QuizAttempt, DrawnQuestion]:
    async with offline.storage.sessionmaker() as session:
        attempt = (
            await session.exec(
                select(QuizAttempt)
                .where(QuizAttempt.user_id == user_id)
                .order_by(QuizAttempt.started_at.desc())  # type: ignore[attr-defined]
            )
        ).first()
    assert attempt is not None
    item = attempt.plan[min(attempt.position, len(attempt.plan) - 1)]
    return attempt, DrawnQuestion(item["q"], tuple(item["o"]))


def letter(banks: BankStore, drawn: DrawnQuestion, *, right: bool) -> str:
    question = banks.banks["thu"].question(drawn.question_id)
    correct = drawn.displayed_correct(question)
    index = next(i for i in range(len(drawn.order)) if (i in correct) == right)
    return "ABC"[index]


async def begin(
    offline: OfflineBot, user_id: int
) -> tuple[ChatDriver, SentMessage, QuizAttempt, DrawnQuestion]:
    """A learner of HS-A starts the test bank: their chat, the first card, the attempt."""
    chat = offline.chat(user_id)
    await join(chat, "HS-A")
    await chat.send("/kiemtra")
    await chat.press("Bộ thử")
    card = chat.last_with_buttons()
    assert card is not None
    attempt, drawn = await current(offline, user_id)
    return chat, card, attempt, drawn


async def answer(chat: ChatDriver, label: str) -> SentMessage:
    card = chat.last_with_buttons()
    assert card is not None
    await chat.press(label, card)
    updated = chat.emulator.last_message(chat.chat_id)
    assert updated is not None
    return updated


async def test_a_whole_quiz_right_wrong_and_timed_out(
    offline: OfflineBot, world: World, banks: BankStore
) -> None:
    chat = offline.chat(3001)
    await join(chat, "HS-A")
    menu = (await chat.send("/kiemtra"))[-1]
    assert "Bộ thử" in str(menu.buttons())
    await chat.press("Bộ thử")
    card = offline.emulator.last_message(chat.chat_id)
    assert card is not None and card.message_id == menu.message_id  # edited in place
    assert "1/3" in plain_text(card) and "Câu hỏi thử" in plain_text(card)

    _, drawn = await current(offline, 3001)
    card = await answer(chat, letter(banks, drawn, right=True))
    assert "✅" in plain_text(card) and "2/3" in plain_text(card)
    assert "start=doc-chi-thi-07" in (card.html or "")  # the learn-more deep link

    _, drawn = await current(offline, 3001)
    missed = drawn.question_id
    card = await answer(chat, letter(banks, drawn, right=False))
    assert "❌" in plain_text(card) and "3/3" in plain_text(card)

    _, drawn = await current(offline, 3001)
    await offline.emulator.wait_until(
        lambda: "🏁" in plain_text(offline.emulator.last_message(chat.chat_id)),  # type: ignore[arg-type]
        timeout=SECONDS + 4,
    )
    final = offline.emulator.last_message(chat.chat_id)
    assert final is not None and final.message_id == menu.message_id
    text = plain_text(final)
    assert "⏰" in text and "1/3 (33%)" in text and "60%" in text
    for question_id in (missed, drawn.question_id):
        question = banks.banks["thu"].question(question_id)
        assert question.text in text

    async with offline.storage.sessionmaker() as session:
        rows = (await session.exec(select(ParticipationEvent))).all()
    quiz_rows = sorted(
        (row for row in rows if row.kind.startswith("quiz_")), key=lambda row: row.id or 0
    )
    assert all(row.unit_id == world.unit.id for row in quiz_rows)
    assert [row.kind for row in quiz_rows] == [
        "quiz_started",
        "quiz_answered",
        "quiz_answered",
        "quiz_answered",
        "quiz_finished",
    ]
    assert [row.value for row in quiz_rows[1:4]] == [1.0, 0.0, 0.0]
    assert quiz_rows[3].ref == f"{drawn.question_id}:timeout"
    assert (quiz_rows[4].ref, quiz_rows[4].value) == ("thu:failed", 33.0)


async def test_without_a_current_consent_taps_are_refused_and_nothing_is_logged(
    offline: OfflineBot, world: World, banks: BankStore
) -> None:
    """The data notice changed while a quiz was open: until the learner agrees again, a tap
    gets the consent alert and leaves the quiz where it was, and the timer's timeout is not
    logged either."""
    chat, card, attempt, drawn = await begin(offline, 3005)
    async with offline.storage.sessionmaker() as session:
        user = await session.get(User, 3005)
        assert user is not None
        user.consent_version = CONSENT_VERSION - 1
        session.add(user)
        await session.commit()
    assert attempt.id is not None
    data = QuizCb(
        act="a", at=attempt.id, pos=0, opt="ABC".index(letter(banks, drawn, right=True))
    ).pack()
    emulator = offline.emulator
    query = emulator.press_button(3005, chat.chat_id, card.message_id, data)
    await offline.tracker.queued()
    toast = emulator.callback_answers[query]
    assert toast.get("show_alert") is True and "/start" in toast["text"]
    assert "✅" not in toast["text"]
    after, _ = await current(offline, 3005)
    assert after.position == 0

    await emulator.wait_until(
        lambda: "2/3" in plain_text(emulator.last_message(chat.chat_id)),  # type: ignore[arg-type]
        timeout=SECONDS + 4,
    )
    async with offline.storage.sessionmaker() as session:
        rows = (await session.exec(select(ParticipationEvent))).all()
    assert [row.kind for row in rows if row.kind.startswith("quiz_")] == ["quiz_started"]


async def test_double_taps_count_once_and_old_buttons_say_the_quiz_ended(
    offline: OfflineBot, world: World, banks: BankStore
) -> None:
    chat, old_card, attempt, drawn = await begin(offline, 3002)
    assert attempt.id is not None
    data = QuizCb(
        act="a", at=attempt.id, pos=0, opt="ABC".index(letter(banks, drawn, right=True))
    ).pack()

    emulator = offline.emulator
    first = emulator.press_button(3002, chat.chat_id, old_card.message_id, data)
    second = emulator.press_button(3002, chat.chat_id, old_card.message_id, data)
    offline.tracker.expected += 1
    await offline.tracker.queued()
    toasts = {emulator.callback_answers[first]["text"], emulator.callback_answers[second]["text"]}
    assert len(toasts) == 2 and any("✅" in toast for toast in toasts)
    async with offline.storage.sessionmaker() as session:
        answered = (
            await session.exec(
                select(ParticipationEvent).where(ParticipationEvent.kind == "quiz_answered")
            )
        ).all()
    assert len(answered) == 1

    # Starting the quiz again abandons this attempt: its buttons now answer that it ended.
    menu = (await chat.send("/kiemtra"))[-1]
    assert "▶" in str(menu.buttons())
    await chat.press("Bộ thử (", menu)  # not "▶ Continue: Bộ thử"
    stale = next(m for m in emulator.messages(chat.chat_id) if m.message_id == old_card.message_id)
    assert stale.callback_data()
    query = emulator.press_button(3002, chat.chat_id, stale.message_id, stale.callback_data()[0])
    await offline.tracker.queued()
    assert "/kiemtra" in emulator.callback_answers[query]["text"]


async def test_a_quiz_goes_on_after_a_restart(
    settings: Settings, emulator: Emulator, world: World, offline: OfflineBot, banks: BankStore
) -> None:
    chat, _, _, drawn = await begin(offline, 3003)
    await answer(chat, letter(banks, drawn, right=True))
    await offline.stop()

    revived = await OfflineBot.start(
        settings, emulator=emulator, banks=banks, quiz_timer_interval=0.2
    )
    try:
        chat = revived.chat(3003)
        _, drawn = await current(revived, 3003)
        card = await answer(chat, letter(banks, drawn, right=True))
        assert "3/3" in plain_text(card)
        # The new process's timer times out the last question.
        await emulator.wait_until(
            lambda: "🏁" in plain_text(emulator.last_message(chat.chat_id)),  # type: ignore[arg-type]
            timeout=SECONDS + 4,
        )
        assert "2/3 (66%)" in plain_text(emulator.last_message(chat.chat_id))  # type: ignore[arg-type]
    finally:
        await revived.stop()
        offline.polling = None  # already stopped above


async def test_a_tap_before_the_card_id_is_stored_edits_the_tapped_card(
    offline: OfflineBot, world: World, banks: BankStore
) -> None:
    chat, card, attempt, drawn = await begin(offline, 3004)
    async with offline.storage.sessionmaker() as session:
        # The moment between sending the first card and storing its id.
        stored = await session.get(QuizAttempt, attempt.id)
        assert stored is not None
        stored.message_id = None
        await session.commit()
    sent_before = len(offline.emulator.messages(chat.chat_id))

    updated = await answer(chat, letter(banks, drawn, right=True))
    assert updated.message_id == card.message_id and "2/3" in plain_text(updated)
    assert len(offline.emulator.messages(chat.chat_id)) == sent_before  # no second card
    attempt, _ = await current(offline, 3004)
    assert attempt.message_id == card.message_id
