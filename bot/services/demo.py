"""A small demo organisation, for the sandbox and first-time visitors."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import InviteCode, Role, Unit, UnitKind
from bot.storage.units import invite_by_code, unit_by_code

DEMO_UNIT_CODE = "DEMO"
DEMO_INVITES = {"HOCVIEN": Role.LEARNER, "GIANGVIEN": Role.TRAINER, "CANBO": Role.OFFICER}


async def ensure_demo_unit(session: AsyncSession) -> Unit:
    """Create the demo unit, one department and the demo invite codes, unless they exist."""
    unit = await unit_by_code(session, DEMO_UNIT_CODE)
    if unit is None:
        unit = Unit(code=DEMO_UNIT_CODE, name="Đơn vị trình diễn", kind=UnitKind.AGENCY.value)
        session.add(unit)
        await session.flush()
        session.add(
            Unit(
                code="DEMO-P1",
                name="Phòng Hành chính (trình diễn)",
                kind=UnitKind.DEPARTMENT.value,
                parent_id=unit.id,
            )
        )
    assert unit.id is not None
    for code, role in DEMO_INVITES.items():
        if await invite_by_code(session, code) is None:
            session.add(InviteCode(code=code, unit_id=unit.id, role=role.value))
    await session.commit()
    return unit
