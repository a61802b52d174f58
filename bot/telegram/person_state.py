"""What the bot remembers of a person's open dialogue (aiogram FSM state: wizard drafts) is
erased with the person. Wizards run only in the private chat, whose key is the person's id."""

from __future__ import annotations

from aiogram.fsm.storage.base import BaseStorage, StorageKey

from bot.services.privacy import StateEraser


def state_eraser(storage: BaseStorage, bot_id: int) -> StateEraser:
    """Clears the state and data of a person's private chat with this bot."""

    async def erase(user_id: int) -> None:
        key = StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id)
        await storage.set_state(key, None)
        await storage.set_data(key, {})

    return erase
