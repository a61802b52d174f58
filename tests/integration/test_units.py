"""Unit import, grants and scopes, invites, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import grants
from bot.services.access import Access, access_of
from bot.services.grants import ScopeError, check_scope, in_scope, require_scope, scope_roots
from bot.services.invites import create_invite, deep_link, qr_png
from bot.services.units import import_units, load_tree
from bot.storage.models import InviteCode, Membership, Role, Unit

CSV = """code,name,kind,parent_code
lop-10a1,Lớp 10A1,class,THPT-A
THPT-A,Trường THPT A,school,SO-GD
SO-GD,Sở Giáo dục và Đào tạo,agency,
BAD CODE,Sai mã,agency,
P1,Phòng 1,department,NOWHERE
X1,Vòng 1,department,X2
X2,Vòng 2,department,X1
LOP-X,Lớp con của vòng,class,X1
T1,Tỉnh,province,SO-GD
K1,Không rõ loại,galaxy,SO-GD
THPT-A,Trùng mã,school,SO-GD
CTY-B,Công ty B,enterprise,
PB-1,Phòng Kế toán,department,CTY-B
"""


async def test_import_reports_bad_rows_keeps_good_ones_and_is_idempotent(
    session: AsyncSession,
) -> None:
    result = await import_units(session, CSV)
    assert sorted(result.created) == ["CTY-B", "LOP-10A1", "PB-1", "SO-GD", "THPT-A"]
    problems = {(p.line, p.code): p.message for p in result.problems}
    assert set(problems) == {
        (5, "BAD CODE"),
        (6, "P1"),
        (7, "X1"),
        (8, "X2"),
        (9, "LOP-X"),
        (10, "T1"),
        (11, "K1"),
        (12, "THPT-A"),
    }
    assert "loop" in problems[(7, "X1")] and "X1" in problems[(9, "LOP-X")]
    assert "line 3" in problems[(12, "THPT-A")]
    tree = await load_tree(session)
    school = tree.find("THPT-A")
    assert school is not None and [tree.nodes[c].code for c in tree.children(school.id)] == [
        "LOP-10A1"
    ]

    again = await import_units(session, CSV)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 5
    assert len((await session.exec(select(Unit))).all()) == 5

    moved = await import_units(
        session, "code;name;kind;parent_code\nLOP-10A1;Lớp 10A1 (mới);class;CTY-B\n"
    )
    assert moved.updated == ["LOP-10A1"]
    loop = await import_units(session, "code,name,kind,parent_code\nSO-GD,Sở,agency,THPT-A\n")
    assert [p.message for p in loop.problems] == ["the parents form a loop"]


async def test_import_refuses_a_loop_through_the_database(session: AsyncSession) -> None:
    await import_units(session, "code,name,kind,parent_code\nA,A,agency,\nB,B,department,A\n")
    result = await import_units(session, "code,name,kind,parent_code\nA,A,agency,B\n")
    assert [p.message for p in result.problems] == ["the parents form a loop"]
    missing = await import_units(session, "code,name\nA,A\n")
    assert missing.problems[0].line == 1 and "kind" in missing.problems[0].message


async def _tree_with_roles(session: AsyncSession) -> dict[str, int]:
    await import_units(session, CSV)
    tree = await load_tree(session)
    codes = {code: tree.by_code[code] for code in ("SO-GD", "THPT-A", "LOP-10A1", "CTY-B")}
    await grants.grant(session, user_id=71, unit_code="lop-10a1", role=Role.TRAINER)
    await grants.grant(session, user_id=72, unit_code="SO-GD", role=Role.OFFICER)
    await grants.grant(session, user_id=73, unit_code="CTY-B", role=Role.LEARNER)
    return codes


async def test_grant_and_revoke(session: AsyncSession) -> None:
    codes = await _tree_with_roles(session)
    again = await grants.grant(session, user_id=71, unit_code="LOP-10A1", role=Role.TRAINER)
    assert again.status is grants.GrantStatus.ALREADY and not again.known_user
    await grants.grant(session, user_id=71, unit_code="LOP-10A1", role=Role.LEARNER)
    access = await access_of(session, 71, admin_ids=[])
    assert {(g.unit_code, g.role) for g in access.grants} == {
        ("LOP-10A1", Role.TRAINER),
        ("LOP-10A1", Role.LEARNER),
    }
    ended = await grants.revoke(session, user_id=71, unit_code="LOP-10A1", role=Role.TRAINER)
    assert ended == [Role.TRAINER]
    assert await grants.revoke(session, user_id=71, unit_code="LOP-10A1", role=Role.TRAINER) == []
    rest = await grants.revoke(session, user_id=71, unit_code="LOP-10A1")
    assert rest == [Role.LEARNER]
    assert (await access_of(session, 71, admin_ids=[])).grants == ()
    rows = (await session.exec(select(Membership).where(Membership.user_id == 71))).all()
    assert len(rows) == 2 and all(row.until is not None for row in rows)
    with pytest.raises(grants.UnknownUnit):
        await grants.grant(session, user_id=71, unit_code="NOPE", role=Role.OFFICER)
    with pytest.raises(ValueError):
        await grants.grant(session, user_id=71, unit_code="SO-GD", role=Role.ADMIN)
    assert codes["SO-GD"]


async def test_scopes_follow_the_subtree(session: AsyncSession) -> None:
    codes = await _tree_with_roles(session)
    tree = await load_tree(session)
    trainer = await access_of(session, 71, admin_ids=[])
    officer = await access_of(session, 72, admin_ids=[])
    learner = await access_of(session, 73, admin_ids=[])
    admin = Access(user_id=99, is_admin=True)

    assert in_scope(tree, trainer, codes["LOP-10A1"], Role.TRAINER)
    assert not in_scope(tree, trainer, codes["THPT-A"], Role.TRAINER)  # not upwards
    assert not in_scope(tree, trainer, codes["CTY-B"], Role.TRAINER)  # not sideways
    assert not in_scope(tree, trainer, codes["LOP-10A1"], Role.OFFICER)  # not a higher role
    for code in ("SO-GD", "THPT-A", "LOP-10A1"):
        assert in_scope(tree, officer, codes[code], Role.OFFICER)
    assert not in_scope(tree, officer, codes["CTY-B"], Role.LEARNER)
    assert in_scope(tree, learner, codes["CTY-B"], Role.LEARNER)
    assert not in_scope(tree, learner, codes["CTY-B"], Role.TRAINER)
    assert all(in_scope(tree, admin, unit, Role.OFFICER) for unit in codes.values())
    assert not in_scope(tree, admin, 10_000, Role.LEARNER)  # no such unit

    with pytest.raises(ScopeError) as refused:
        check_scope(tree, trainer, codes["CTY-B"], Role.TRAINER)
    assert (refused.value.unit_id, refused.value.role) == (codes["CTY-B"], Role.TRAINER)
    with pytest.raises(ScopeError):
        await require_scope(session, officer, codes["CTY-B"], Role.OFFICER)
    assert scope_roots(tree, officer) == [codes["SO-GD"]]
    assert sorted(scope_roots(tree, admin)) == sorted([codes["SO-GD"], codes["CTY-B"]])


async def test_scope_roots_are_the_top_units_of_the_role(session: AsyncSession) -> None:
    codes = await _tree_with_roles(session)
    tree = await load_tree(session)
    # An officer of the whole department who also trains one class, and learns in a company.
    await grants.grant(session, user_id=74, unit_code="THPT-A", role=Role.OFFICER)
    await grants.grant(session, user_id=74, unit_code="LOP-10A1", role=Role.TRAINER)
    await grants.grant(session, user_id=74, unit_code="CTY-B", role=Role.LEARNER)
    both = await access_of(session, 74, admin_ids=[])
    assert scope_roots(tree, both, Role.OFFICER) == [codes["THPT-A"]]
    assert scope_roots(tree, both, Role.TRAINER) == [codes["THPT-A"]]  # the class is inside
    assert sorted(scope_roots(tree, both, Role.LEARNER)) == sorted(
        [codes["THPT-A"], codes["CTY-B"]]
    )
    learner = await access_of(session, 73, admin_ids=[])
    assert scope_roots(tree, learner, Role.TRAINER) == []  # a learner's unit is no scope
    trainer = await access_of(session, 71, admin_ids=[])
    assert scope_roots(tree, trainer, Role.TRAINER) == [codes["LOP-10A1"]]

    assert grants.default_unit(tree, trainer, Role.TRAINER) == codes["LOP-10A1"]
    assert grants.default_unit(tree, both, Role.LEARNER) is None  # two tops: name one
    assert grants.default_unit(tree, learner, Role.OFFICER) is None


async def test_roles_rank_learner_trainer_officer_admin(session: AsyncSession) -> None:
    await _tree_with_roles(session)
    trainer = await access_of(session, 71, admin_ids=[])
    assert trainer.top_role is Role.TRAINER
    assert trainer.has_role(Role.LEARNER) and trainer.has_role(Role.TRAINER)
    assert not trainer.has_role(Role.OFFICER)
    nobody = await access_of(session, 12345, admin_ids=[])
    assert nobody.top_role is None and not nobody.has_role(Role.LEARNER)
    admin = await access_of(session, 12345, admin_ids=[12345])
    assert admin.top_role is Role.ADMIN and admin.has_role(Role.OFFICER)


async def test_a_grant_knows_who_opened_the_bot_and_when_it_began(session: AsyncSession) -> None:
    from bot.storage.clock import utcnow
    from bot.storage.models import User

    await import_units(session, CSV)
    session.add(User(id=75))
    await session.commit()
    before = utcnow()
    known = await grants.grant(session, user_id=75, unit_code="CTY-B", role=Role.TRAINER)
    stranger = await grants.grant(session, user_id=76, unit_code="CTY-B", role=Role.TRAINER)
    assert known.known_user and not stranger.known_user
    [row] = (await session.exec(select(Membership).where(Membership.user_id == 75))).all()
    assert row.since is not None and row.since.replace(tzinfo=None) >= before.replace(tzinfo=None)
    with pytest.raises(ValueError, match="ADMIN_IDS"):
        await grants.grant(session, user_id=75, unit_code="CTY-B", role=Role.ADMIN)
    error = ScopeError(7, Role.OFFICER)
    assert error.unit_id == 7 and error.role is Role.OFFICER
    assert str(error) == "role officer needed in unit 7"
    assert str(grants.UnknownUnit("NOPE")) == "no unit with code NOPE"


async def test_invites_stay_within_scope(session: AsyncSession) -> None:
    codes = await _tree_with_roles(session)
    officer = await access_of(session, 72, admin_ids=[])
    trainer = await access_of(session, 71, admin_ids=[])
    invite = await create_invite(
        session, access=officer, unit_id=codes["LOP-10A1"], role=Role.LEARNER, uses=30
    )
    stored = (await session.exec(select(InviteCode).where(InviteCode.code == invite.code))).one()
    assert (stored.unit_id, stored.role, stored.uses_left, stored.created_by) == (
        codes["LOP-10A1"],
        "learner",
        30,
        72,
    )
    with pytest.raises(ScopeError):
        await create_invite(session, access=officer, unit_id=codes["CTY-B"], role=Role.LEARNER)
    with pytest.raises(ScopeError):  # trainers do not invite
        await create_invite(session, access=trainer, unit_id=codes["LOP-10A1"], role=Role.LEARNER)
    link = deep_link("@canhgiac_bot", invite.code)
    assert link == f"https://t.me/canhgiac_bot?start={invite.code}"
    assert qr_png(link).startswith(b"\x89PNG\r\n\x1a\n")
