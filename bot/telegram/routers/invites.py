"""`/moi` (`/invite`): officers and admins create an invite link and its QR code.

`/moi [unit code]`: choose the unit (walking down the tree from the units in scope) and the
role; the bot answers with the link and sends the QR code as a photo. Invites made here work
for anyone until `INVITE_DAYS` days have passed. The service checks the scope again.
"""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.periods import local_midnight
from bot.services.access import Access
from bot.services.grants import GRANTABLE, ScopeError, in_scope, scope_roots
from bot.services.invites import create_invite, qr_png
from bot.services.stats import StatsConfig
from bot.services.units import UnitTree, load_tree
from bot.settings import Settings
from bot.storage.models import Role, User
from bot.telegram import stats_views as views
from bot.telegram import texts
from bot.telegram.callbacks import InviteCb
from bot.telegram.commands import CommandSpec, register
from bot.telegram.i18n import N_
from bot.telegram.private_chat import command_payload, private_buttons, private_command
from bot.telegram.screens import replace_screen

INVITE = CommandSpec(
    "moi", "invite", N_("Invite people into a unit: a link and a QR code"), role=Role.OFFICER
)
register(INVITE)
INVITE_DAYS = 30

router = Router(name="invites")


def _may_invite(access: Access) -> bool:
    return access.is_admin or access.has_role(Role.OFFICER)


def _browser(
    tree: UnitTree, access: Access, unit_id: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    if unit_id == 0:
        roots = scope_roots(tree, access, Role.OFFICER)
        if len(roots) == 1:
            unit_id = roots[0]
        else:
            return views.invite_browser(None, [tree.nodes[r] for r in roots], page, can_pick=False)
    children = [tree.nodes[c] for c in tree.children(unit_id)]
    return views.invite_browser(tree.nodes[unit_id], children, page, can_pick=True)


@router.message(INVITE.filter())
async def invite_command(
    message: Message,
    command: CommandObject,
    user: User,
    session: AsyncSession,
    access: Access | None = None,
) -> None:
    access = access or Access(user_id=user.id)
    if not _may_invite(access):
        await message.answer(views.invite_not_allowed())
        return
    tree = await load_tree(session)
    code = (command.args or "").strip()
    unit_id = 0
    if code:
        node = tree.find(code.split()[0])
        if node is None:
            await message.answer(views.unknown_unit(code))
            return
        if not in_scope(tree, access, node.id, Role.OFFICER):
            await message.answer(views.unit_not_allowed())
            return
        unit_id = node.id
    text, keyboard = _browser(tree, access, unit_id)
    await message.answer(text, reply_markup=keyboard)


private_command(INVITE, invite_command)
private_buttons(InviteCb, lambda _: command_payload(INVITE))


@router.callback_query(InviteCb.filter())
async def invite_button(
    query: CallbackQuery,
    callback_data: InviteCb,
    user: User,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    access: Access | None = None,
) -> None:
    access = access or Access(user_id=user.id)
    if not isinstance(query.message, Message) or not _may_invite(access):
        await query.answer(views.invite_not_allowed(), show_alert=True)
        return
    tree = await load_tree(session)
    unit_id = callback_data.unit
    if unit_id and not in_scope(tree, access, unit_id, Role.OFFICER):
        await query.answer(views.unit_not_allowed(), show_alert=True)
        return
    if callback_data.act == "open":
        await query.answer()
        await replace_screen(query.message, *_browser(tree, access, unit_id, callback_data.page))
    elif callback_data.act == "pick" and unit_id:
        await query.answer()
        await replace_screen(query.message, *views.invite_roles(tree.nodes[unit_id], GRANTABLE))
    elif callback_data.act == "make" and unit_id and callback_data.role in Role._value2member_map_:
        await _make(query, session, settings, bot, access, unit_id, Role(callback_data.role))
    else:
        await query.answer(texts.stale_button())


async def _make(
    query: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    access: Access,
    unit_id: int,
    role: Role,
) -> None:
    assert isinstance(query.message, Message)
    today = StatsConfig.from_settings(settings).today()
    last_day = today + timedelta(days=INVITE_DAYS)
    expires = local_midnight(last_day + timedelta(days=1), settings.timezone)
    try:
        invite = await create_invite(
            session, access=access, unit_id=unit_id, role=role, expires_at=expires
        )
    except (ScopeError, ValueError):
        await query.answer(views.unit_not_allowed(), show_alert=True)
        return
    await query.answer()
    me = await bot.me()
    link = invite.link(me.username or "")
    await replace_screen(query.message, views.invite_made(invite, link, last_day), None)
    await query.message.answer_photo(
        BufferedInputFile(qr_png(link), filename=f"moi-{invite.code}.png"),
        caption=views.qr_caption(invite),
    )
