"""Private things stay private: in a group, commands and panels that show personal data answer
with a link to the private chat and post nothing personal; the link opens the same thing there."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chat_driver import ChatDriver, is_link, plain_text
from bot.emulator import SentMessage
from bot.offline import OfflineBot
from bot.storage.models import Role, User
from bot.telegram.callbacks import PrivacyCb
from tests.e2e.helpers import World, add_invite, join

GROUP = -1002223334
BOT_LINK = "https://t.me/canhgiac_test_bot?start="
LAN, MINH, OFFICER, TRAINER = 6001, 6002, 6010, 6020


def links(message: SentMessage) -> list[str]:
    return [data for row in message.buttons() for _, data in row if is_link(data)]


def last_answer(offline: OfflineBot) -> dict[str, object]:
    return list(offline.emulator.callback_answers.values())[-1]


async def _group(offline: OfflineBot, world: World) -> dict[str, ChatDriver]:
    """Lan and Minh (learners), an officer and a trainer of TRUONG-A, all in one group."""
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "CB-A", world.unit, Role.OFFICER)
        await add_invite(session, "GV-A", world.unit, Role.TRAINER)
    offline.emulator.add_group(GROUP, "Lớp 10A1")
    people = {
        "lan": offline.chat(LAN, first_name="Lan"),
        "minh": offline.chat(MINH, first_name="Minh"),
        "officer": offline.chat(OFFICER, first_name="Hoa"),
        "trainer": offline.chat(TRAINER, first_name="Tuan"),
    }
    for code, who in (
        ("HS-10A1", "lan"),
        ("HS-A", "minh"),
        ("CB-A", "officer"),
        ("GV-A", "trainer"),
    ):
        await join(people[who], code)
    for name, user_id in (("lan", LAN), ("minh", MINH), ("officer", OFFICER), ("trainer", TRAINER)):
        offline.emulator.add_member(GROUP, user_id)
        people[f"{name}@group"] = offline.chat(user_id, chat_id=GROUP, first_name=name.title())
    return people


def _nothing_personal(offline: OfflineBot) -> None:
    """No file, and no name or unit of anyone, in anything the bot posted to the group."""
    for message in offline.emulator.messages(GROUP):
        assert message.document is None and message.photo is None
        shown = plain_text(message) + str(message.buttons())
        for word in ("Lan", "Minh", "Hoa", "Tuan", "Trường THPT A", "TRUONG-A", "telegram_id"):
            assert word not in shown, (word, shown)


async def test_privacy_panel_in_a_group_is_a_link_to_the_private_chat(
    offline: OfflineBot, world: World
) -> None:
    people = await _group(offline, world)
    reply = (await people["lan@group"].send("/riengtu"))[-1]
    assert links(reply) == [f"{BOT_LINK}cmd-riengtu"]
    assert not [data for row in reply.buttons() for _, data in row if not is_link(data)]
    _nothing_personal(offline)

    panel = (await people["lan"].send("/start cmd-riengtu"))[-1]  # the link, followed
    assert "📄" in str(panel.buttons()) and "🗑" in str(panel.buttons())
    document = (await people["lan"].press("📄", panel))[-1]
    assert document.document is not None and b'"first_name": "Lan"' in document.document
    assert offline.emulator.violations == []


async def test_buttons_of_a_panel_in_a_group_post_nothing(
    offline: OfflineBot, world: World
) -> None:
    """A privacy panel posted to the group (as an older version did): pressing its buttons,
    by its owner or by another member, exports and erases nothing there."""
    people = await _group(offline, world)
    buttons = [
        [
            InlineKeyboardButton(
                text=f"{label} {action}", callback_data=PrivacyCb(action=action).pack()
            )
        ]
        for label, action in (("📄", "export"), ("🗑", "forget"), ("⚠️", "forget_yes"))
    ]
    panel = await offline.bot.send_message(
        GROUP, "panel", reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )
    posted = len(offline.emulator.messages(GROUP))
    message = offline.emulator.messages(GROUP)[-1]
    assert message.message_id == panel.message_id

    for who in ("minh@group", "lan@group"):
        for label in ("📄", "🗑", "⚠️"):
            await people[who].press(label, message)
            assert last_answer(offline).get("url") == f"{BOT_LINK}cmd-riengtu"
    assert len(offline.emulator.messages(GROUP)) == posted  # nothing new in the group
    _nothing_personal(offline)
    async with offline.storage.sessionmaker() as session:
        for user_id in (LAN, MINH):  # "delete" pressed in the group erased no one
            user = await session.get(User, user_id)
            assert user is not None and user.consent_at is not None
    assert offline.emulator.violations == []


async def test_stats_files_in_a_group_open_the_private_chat(
    offline: OfflineBot, world: World
) -> None:
    people = await _group(offline, world)
    table = (await people["officer@group"].send("/thongke"))[-1]
    assert "TRUONG-A" in plain_text(table)  # the unit's totals may be shown to the group
    for label in ("📗", "📄"):
        await people["officer@group"].press(label, table)
        url = str(last_answer(offline).get("url"))
        assert url.startswith(f"{BOT_LINK}st-{world.unit.id}-")
    assert not [m for m in offline.emulator.messages(GROUP) if m.document is not None]

    payload = url.removeprefix(BOT_LINK)
    private = (await people["officer"].send(f"/start {payload}"))[-1]
    assert "TRUONG-A" in plain_text(private)
    sheet = (await people["officer"].press("📗", private))[-1]
    assert sheet.document is not None and (sheet.filename or "").endswith(".xlsx")
    assert offline.emulator.violations == []


async def test_people_and_lists_commands_answer_a_group_with_a_link(
    offline: OfflineBot, world: World
) -> None:
    people = await _group(offline, world)
    for who, command in (
        ("trainer", "nhacnho"),
        ("trainer", "phatbai"),
        ("officer", "moi"),
        ("trainer", "reminders"),
        ("officer", "invite"),
    ):
        reply = (await people[f"{who}@group"].send(f"/{command}@canhgiac_test_bot"))[-1]
        name = {"reminders": "nhacnho", "invite": "moi"}.get(command, command)
        assert links(reply) == [f"{BOT_LINK}cmd-{name}"], command
    _nothing_personal(offline)

    for who, command in (("trainer", "nhacnho"), ("trainer", "phatbai"), ("officer", "moi")):
        direct = (await people[who].send(f"/{command}"))[-1]
        opened = (await people[who].send(f"/start cmd-{command}"))[-1]
        assert plain_text(opened) == plain_text(direct), command
        assert opened.buttons() == direct.buttons(), command
    assert offline.emulator.violations == []


async def test_help_in_a_group_names_no_units(offline: OfflineBot, world: World) -> None:
    people = await _group(offline, world)
    private = (await people["officer"].send("/trogiup"))[-1]
    assert "Trường THPT A" in plain_text(private)
    in_group = (await people["officer@group"].send("/trogiup"))[-1]
    assert "/thongke" in plain_text(in_group) and "Trường THPT A" not in plain_text(in_group)
    _nothing_personal(offline)
    assert offline.emulator.violations == []
