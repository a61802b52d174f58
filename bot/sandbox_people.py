"""The people and chats of a sandbox session.

People are numbered (`/as 2` in the sandbox); each is a Telegram user of the emulator with a
name, and gets a role the way a real person does, by joining with an invite code. The demo
learners have already joined the demo unit when the session starts, so a trainer's broadcast has
recipients; everyone is a member of one demo group chat.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat_driver import ChatDriver, is_link
from bot.offline import OfflineBot
from bot.services.demo import DEMO_INVITES
from bot.storage.models import Role, User
from bot.storage.units import active_memberships
from bot.telegram.callbacks import AgeCb

BASE_USER_ID = 700_000_000
YOU = 1
GROUP_ID = -1_007_000_000_001
GROUP_TITLE = "Nhóm dùng thử"
DEMO_LEARNERS = {7: "Thu", 8: "Hải", 9: "Mai"}
MAX_NUMBER = 99


@dataclass
class Person:
    number: int
    name: str

    @property
    def user_id(self) -> int:
        return BASE_USER_ID + self.number

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class People:
    """Everyone in the session, the demo group, and one chat driver per person and chat."""

    def __init__(self, offline: OfflineBot) -> None:
        self.offline = offline
        self.people: dict[int, Person] = {}
        self.group = False
        self._drivers: dict[tuple[int, int], ChatDriver] = {}

    def add(self, number: int, name: str | None = None) -> tuple[Person, bool]:
        """The person with this number (renamed when a name is given); True when new."""
        if not 1 <= number <= MAX_NUMBER:
            raise ValueError(f"people are numbered 1 to {MAX_NUMBER}")
        person = self.people.get(number)
        created = person is None
        if person is None:
            person = Person(number, name or ("Bạn" if number == YOU else f"Người {number}"))
            self.people[number] = person
        elif name:
            person.name = name
        else:
            return person, False
        self.offline.emulator.add_user(person.user_id, first_name=person.name, language_code="vi")
        for key, driver in list(self._drivers.items()):
            if key[0] == person.user_id:
                self._drivers[key] = self._driver(person, driver.chat_id)
        if self.group:
            self.offline.emulator.add_member(GROUP_ID, person.user_id)
        return person, created

    def open_group(self) -> None:
        """The demo group, with everyone in it (people added later join it too)."""
        if not self.group:
            self.offline.emulator.add_group(GROUP_ID, GROUP_TITLE)
            self.group = True
        for person in self.people.values():
            self.offline.emulator.add_member(GROUP_ID, person.user_id)

    def driver(self, person: Person, *, in_group: bool) -> ChatDriver:
        chat_id = GROUP_ID if in_group else person.user_id
        key = (person.user_id, chat_id)
        if key not in self._drivers:
            self._drivers[key] = self._driver(person, chat_id)
        return self._drivers[key]

    def _driver(self, person: Person, chat_id: int) -> ChatDriver:
        return self.offline.chat(person.user_id, chat_id=chat_id, first_name=person.name)

    def chat_label(self, chat_id: int) -> str | None:
        """How a chat is named in the transcript; None for a chat outside the session."""
        if chat_id == GROUP_ID:
            return f"the group {GROUP_TITLE}" if self.group else None
        number = chat_id - BASE_USER_ID
        person = self.people.get(number)
        return f"{person}, private chat" if person else None

    def everyone(self) -> list[Person]:
        return [self.people[number] for number in sorted(self.people)]

    def chat_ids(self) -> list[int]:
        ids = [person.user_id for person in self.people.values()]
        return [*ids, GROUP_ID] if self.group else ids

    def owner(self, chat_id: int) -> Person | None:
        return self.people.get(chat_id - BASE_USER_ID)

    async def roles(self, person: Person) -> str:
        """The person's standing, read from the bot's database: units and roles."""
        async with self.offline.storage.sessionmaker() as session:
            user = await session.get(User, person.user_id)
            if user is None:
                return "has not opened the bot"
            if not user.has_consented:
                return "has not agreed to the data notice"
            memberships = await active_memberships(session, person.user_id)
        held = [f"{m.role} in {unit.code}" for m, unit in memberships]
        if person.user_id in self.offline.settings.admin_ids:
            held.insert(0, "admin")
        return ", ".join(held) or "in no unit yet"

    async def seed_demo_learners(self) -> None:
        """The demo learners open the bot, agree to the notice and join the demo unit as
        learners, through the bot like anyone else."""
        code = next(code for code, role in DEMO_INVITES.items() if role is Role.LEARNER)
        for number, name in DEMO_LEARNERS.items():
            person, _ = self.add(number, name)
            chat = self.driver(person, in_group=False)
            await chat.send("/start")
            notice = chat.last_with_buttons()
            agree = _first_button(notice.buttons()) if notice else None
            if notice is None or agree is None:
                raise RuntimeError("the demo learners found no data notice to agree to")
            await chat.press_data(notice, agree)
            age = chat.last_with_buttons()
            if age is None:
                raise RuntimeError("the demo learners were not asked their age")
            await chat.press_data(age, AgeCb(minor=False).pack())
            await chat.send(f"/start {code}")
            if "learner in" not in await self.roles(person):
                raise RuntimeError(f"demo learner {person} could not join with {code}")


def _first_button(rows: list[list[tuple[str, str | None]]]) -> str | None:
    """The callback data of the first button (the notice's "I agree")."""
    return next((data for row in rows for _t, data in row if data and not is_link(data)), None)
