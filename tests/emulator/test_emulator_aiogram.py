"""A real aiogram bot talks to the emulator: valid calls pass with zero violations."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
)

from bot.emulator import Emulator

from .helpers import USER

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x03\x20\x00\x00\x02\x58" + bytes(20)


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Đúng", callback_data="quiz:1:a"),
                InlineKeyboardButton(text="Sai", callback_data="quiz:1:b"),
            ],
            [InlineKeyboardButton(text="Tìm hiểu", url="https://canhgiac.example/07")],
        ]
    )


async def test_message_keyboard_edit_callback_delete(emu: Emulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "canhgiac_bot", True)
    sent = await bot.send_message(
        USER,
        "<b>Cảnh giác</b> với <a href='https://x.vn'>đường link</a> lạ!",
        reply_markup=_keyboard(),
    )
    assert sent.text == "Cảnh giác với đường link lạ!"
    assert sent.entities is not None and [e.type for e in sent.entities] == ["bold", "text_link"]
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == _keyboard().model_dump()
    assert sent.from_user is not None and sent.from_user.id == me.id

    stored = emu.last_message(USER)
    assert stored is not None
    assert stored.html.startswith("<b>Cảnh giác</b>")  # type: ignore[union-attr]
    assert stored.buttons()[0] == [("Đúng", "quiz:1:a"), ("Sai", "quiz:1:b")]

    query_id = emu.press_button(USER, USER, sent.message_id, "quiz:1:a")
    updates = await bot.get_updates(timeout=1)
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.data == "quiz:1:a"
    assert await bot.answer_callback_query(query_id, text="Chính xác!", show_alert=True)
    assert emu.callback_answers[query_id]["text"] == "Chính xác!"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)

    edited = await bot.edit_message_text(
        "Đã trả lời: <i>Đúng</i>", chat_id=USER, message_id=sent.message_id
    )
    assert not isinstance(edited, bool) and edited.edit_date is not None
    assert emu.last_message(USER).text == "Đã trả lời: Đúng"  # type: ignore[union-attr]
    assert emu.last_message(USER).reply_markup is None  # type: ignore[union-attr]
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Đã trả lời: <i>Đúng</i>", chat_id=USER, message_id=sent.message_id
        )
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=sent.message_id, reply_markup=_keyboard()
    )
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=sent.message_id)
    assert emu.messages(USER)[0].deleted
    assert emu.last_message(USER) is None
    assert await bot.send_chat_action(USER, "typing")
    assert emu.violations == []


async def test_photo_document_and_file_download(emu: Emulator, bot: Bot) -> None:
    photo = await bot.send_photo(
        USER, BufferedInputFile(PNG, "poster.png"), caption="<b>Áp phích</b>"
    )
    assert photo.caption == "Áp phích" and photo.photo is not None
    assert (photo.photo[-1].width, photo.photo[-1].height) == (800, 600)
    document = await bot.send_document(
        USER, BufferedInputFile("Báo cáo".encode(), "bao-cao.txt"), caption="Tuần 1"
    )
    assert document.document is not None and document.document.file_name == "bao-cao.txt"
    sent = emu.messages(USER)
    assert sent[0].photo == PNG and sent[0].filename == "poster.png"
    assert sent[1].document == "Báo cáo".encode() and sent[1].caption == "Tuần 1"
    again = await bot.send_document(USER, document.document.file_id)
    assert again.document is not None and emu.last_message(USER).document == "Báo cáo".encode()  # type: ignore[union-attr]
    downloaded = await bot.download(document.document.file_id)
    assert downloaded is not None and downloaded.read() == "Báo cáo".encode()
    assert emu.violations == []


async def test_quiz_poll_and_answers(emu: Emulator, bot: Bot) -> None:
    message = await bot.send_poll(
        USER,
        "Email lạ yêu cầu mật khẩu: bạn làm gì?",
        options=[InputPollOption(text="Trả lời ngay"), InputPollOption(text="Báo cho IT")],
        type="quiz",
        correct_option_ids=[1],
        is_anonymous=False,
        explanation="Không bao giờ gửi mật khẩu qua email.",
        open_period=60,
    )
    poll = message.poll
    assert poll is not None and poll.type == "quiz" and poll.correct_option_ids == [1]
    emu.answer_poll(USER, poll.id, [1])
    updates = await bot.get_updates(timeout=1)
    answers = [u.poll_answer for u in updates if u.poll_answer]
    assert answers and answers[0].option_ids == [1] and answers[0].user is not None
    state = next(u.poll for u in updates if u.poll)
    assert state.options[1].voter_count == 1
    stopped = await bot.stop_poll(USER, message.message_id)
    assert stopped.is_closed
    with pytest.raises(TelegramBadRequest, match="already been closed"):
        await bot.stop_poll(USER, message.message_id)
    assert emu.violations == []


async def test_commands_per_scope_and_language(emu: Emulator, bot: Bot) -> None:
    vi = [
        BotCommand(command="start", description="Bắt đầu"),
        BotCommand(command="quiz", description="Làm bài"),
    ]
    en = [BotCommand(command="start", description="Start")]  # default language
    assert await bot.set_my_commands(vi, scope=BotCommandScopeAllPrivateChats(), language_code="vi")
    assert await bot.set_my_commands(en, scope=BotCommandScopeChat(chat_id=USER))
    private_vi = await bot.get_my_commands(
        scope=BotCommandScopeAllPrivateChats(), language_code="vi"
    )
    assert [c.model_dump() for c in private_vi] == [c.model_dump() for c in vi]
    chat_commands = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=USER))
    assert [c.command for c in chat_commands] == ["start"]
    assert await bot.get_my_commands() == []
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=USER))
    assert await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=USER)) == []
    assert emu.violations == []


async def test_telegram_refusals_are_not_violations(emu: Emulator, bot: Bot) -> None:
    emu.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "Nhắc nhở")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999_999, "Ai đó")
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, 4242)
    updates = await bot.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    emu.unblock(USER)
    assert (await bot.send_message(USER, "Chào lại")).text == "Chào lại"
    assert emu.violations == []
    assert [c.status for c in emu.calls if c.method == "sendMessage"] == [403, 400, 200]


async def test_user_text_gets_command_entities(emu: Emulator, bot: Bot) -> None:
    message = emu.send_text(USER, "/start ref_123")
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    emu.add_group(-100123, "Phòng IT")
    emu.send_text(USER, "Xin chào @canhgiac_bot /help@canhgiac_bot", chat_id=-100123)
    updates = await bot.get_updates()
    assert [u.message.chat.type for u in updates if u.message] == ["private", "supergroup"]
    group_message = updates[-1].message
    assert group_message is not None and group_message.entities is not None
    assert group_message.entities[0].type == "bot_command"
    reply = await bot.send_message(-100123, "Chào cả nhóm", reply_to_message_id=None)
    assert reply.chat.title == "Phòng IT"
    assert emu.violations == []
