"""The outbox and the sender against the Bot API emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from aiogram import Bot
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import outbox
from bot.delivery.leading import SenderLeadership
from bot.delivery.limiter import Limiter
from bot.delivery.outbox import Recipient
from bot.delivery.render import Button, Payload
from bot.delivery.sender import Sender, SenderOptions
from bot.emulator import Emulator, RateLimits
from bot.leader import SENDER_LOCK_KEY, leader_lock_for
from bot.services.users import CONSENT_VERSION
from bot.settings import Settings
from bot.storage import ledger
from bot.storage.clock import utcnow
from bot.storage.models import Unit, User
from bot.storage.models_delivery import Delivery, DeliveryStatus
from bot.telegram.dispatcher import create_bot

TOKEN = "100000002:delivery-test-token-00000000000000"
FIRST_USER = 700_000
SOURCE = "broadcast"
# Telegram's per-chat limit at its strictest: one message a second, no burst.
STRICT_PER_CHAT = RateLimits(global_per_second=None, private_per_second=1, private_burst=1)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emulator = Emulator(STRICT_PER_CHAT, bot_username="canhgiac_test_bot", check_results=True)
    await emulator.start()
    yield emulator
    await emulator.stop()
    assert [str(v) for v in emulator.violations] == []


@pytest.fixture
async def bot(emulator: Emulator) -> AsyncIterator[Bot]:
    settings = Settings(  # type: ignore[call-arg]
        bot_token=SecretStr(TOKEN), telegram_api_base=emulator.base_url, _env_file=None
    )
    bot = create_bot(settings)
    yield bot
    await bot.session.close()


async def seed(
    sessionmaker: async_sessionmaker[AsyncSession],
    emulator: Emulator,
    count: int,
    *,
    source_id: int = 1,
    first: int = FIRST_USER,
    payload: Payload | None = None,
) -> list[int]:
    """`count` consented users, one unit, and one pending delivery to each."""
    users = list(range(first, first + count))
    async with sessionmaker() as session:
        unit = Unit(code=f"U{source_id}-{first}", name="Đơn vị")
        session.add(unit)
        for user_id in users:
            if await session.get(User, user_id) is None:
                session.add(User(id=user_id, consent_at=utcnow(), consent_version=CONSENT_VERSION))
            emulator.add_user(user_id)
        await session.flush()
        assert unit.id is not None
        content = await outbox.add_content(
            session,
            source_kind=SOURCE,
            source_id=source_id,
            payload=payload or Payload("<b>Thông báo</b> diễn tập phòng cháy"),
            ledger_kind=ledger.EventKind.BROADCAST_DELIVERED,
        )
        await outbox.enqueue(
            session,
            source_kind=SOURCE,
            source_id=source_id,
            recipients=[Recipient(u, u, unit_ids=(unit.id,)) for u in users],
            contents={outbox.ANY_LANGUAGE: content},
        )
        await session.commit()
    return users


def make_sender(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    rate: float = 1000,
    concurrency: int = 4,
    private_interval: float = 1.0,
    **options: float,
) -> Sender:
    opts = SenderOptions(concurrency=concurrency, poll_interval=0.05, backoff=0.05, **options)  # type: ignore[arg-type]
    limiter = Limiter(rate, private_interval=private_interval)
    return Sender(bot, sessionmaker, limiter=limiter, options=opts)


async def settle(
    sessionmaker: async_sessionmaker[AsyncSession], source_id: int = 1, within: float = 30
) -> dict[str, int]:
    async def done() -> dict[str, int]:
        while True:
            async with sessionmaker() as session:
                if not await outbox.unsettled(session, source_kind=SOURCE, source_id=source_id):
                    return await outbox.counts(session, source_kind=SOURCE, source_id=source_id)
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(done(), within)


def per_chat(emulator: Emulator, users: Sequence[int]) -> dict[int, int]:
    return {user: len(emulator.messages(user)) for user in users}


async def kill(sender: Sender) -> None:
    """Stop a sender the way SIGKILL would: no bookkeeping after the tasks die."""
    tasks = [t for t in (sender._feeder, *sender._workers) if t is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    sender._feeder, sender._workers = None, []


async def test_enqueue_belongs_to_the_callers_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        content = await outbox.add_content(
            session, source_kind=SOURCE, source_id=9, payload=Payload("x")
        )
        await outbox.enqueue(
            session,
            source_kind=SOURCE,
            source_id=9,
            recipients=[Recipient(1), Recipient(2)],
            contents={"": content},
        )
        await session.rollback()
    async with sessionmaker() as session:
        assert (await outbox.counts(session, source_kind=SOURCE, source_id=9))["pending"] == 0
        content = await outbox.add_content(
            session, source_kind=SOURCE, source_id=9, payload=Payload("x")
        )
        recipients = [Recipient(1), Recipient(2), Recipient(2)]
        for _ in range(2):
            await outbox.enqueue(
                session,
                source_kind=SOURCE,
                source_id=9,
                recipients=recipients,
                contents={"": content},
            )
        await session.commit()
        assert (await outbox.counts(session, source_kind=SOURCE, source_id=9))["pending"] == 2


async def test_concurrent_claims_never_share_a_row(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator
) -> None:
    await seed(sessionmaker, emulator, 300)

    async def claimer(name: str) -> list[int]:
        got: list[int] = []
        while True:
            async with sessionmaker() as session:
                rows = await outbox.claim(session, sender_id=name, limit=7, lease=60)
                await session.commit()
            if not rows:
                return got
            got.extend(row.id for row in rows)
            await asyncio.sleep(0)

    results = await asyncio.gather(*(claimer(f"s{i}") for i in range(4)))
    every = [row for rows in results for row in rows]
    # Which claimer wins how many rows is up to the scheduler; no row may go to two of them.
    assert len(every) == len(set(every)) == 300


async def test_only_the_sender_holding_the_lease_may_start_a_row(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A's lease ran out and B took the row over: A, waking late, must not send it too."""
    from datetime import timedelta

    start = utcnow()
    async with sessionmaker() as session:
        content = await outbox.add_content(
            session, source_kind=SOURCE, source_id=3, payload=Payload("x")
        )
        await outbox.enqueue(
            session,
            source_kind=SOURCE,
            source_id=3,
            recipients=[Recipient(FIRST_USER)],
            contents={"": content},
            not_before=start,
        )
        await session.commit()
    async with sessionmaker() as session:
        [as_a] = await outbox.claim(session, sender_id="A", limit=10, lease=30, now=start)
        await session.commit()
    async with sessionmaker() as session:
        early = start + timedelta(seconds=29)
        assert await outbox.claim(session, sender_id="B", limit=10, lease=30, now=early) == []
        late = start + timedelta(seconds=31)
        [as_b] = await outbox.claim(session, sender_id="B", limit=10, lease=30, now=late)
        await session.commit()
    assert as_b.id == as_a.id
    async with sessionmaker() as session:
        assert not await outbox.start_sending(session, as_a, sender_id="A", now=late)
        assert await outbox.start_sending(session, as_b, sender_id="B", now=late)
        await session.commit()
        row = await outbox.delivery_for(
            session, source_kind=SOURCE, source_id=3, chat_id=FIRST_USER
        )
    assert row is not None and row.status == "sending"
    assert row.claimed_by == "B" and row.attempts == 1


async def test_a_sender_gives_back_only_its_own_unstarted_rows(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator
) -> None:
    await seed(sessionmaker, emulator, 4)
    async with sessionmaker() as session:
        rows = await outbox.claim(session, sender_id="A", limit=3, lease=60)
        started = rows[0]
        assert await outbox.start_sending(session, started, sender_id="A")
        ids = [row.id for row in rows]
        assert await outbox.release(session, [], sender_id="A") == 0
        assert await outbox.release(session, ids, sender_id="B") == 0
        assert await outbox.release(session, ids, sender_id="A") == 2  # not the started one
        await session.commit()
    async with sessionmaker() as session:
        taken = await outbox.claim(session, sender_id="B", limit=10, lease=60)
        await session.commit()
        statuses = {
            row.id: (row.status, row.claimed_by)
            for row in await outbox.rows_of(session, source_kind=SOURCE, source_id=1)
        }
    assert sorted(row.id for row in taken) == sorted(set(statuses) - {started.id})
    assert statuses[started.id] == ("sending", "A")


async def test_a_blocked_send_is_final_and_dated(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator
) -> None:
    from bot.storage.models_delivery import DeliveryStatus as Status

    users = await seed(sessionmaker, emulator, 1)
    when = utcnow().replace(microsecond=0) - timedelta(hours=3)
    async with sessionmaker() as session:
        [row] = await outbox.claim(session, sender_id="A", limit=1, lease=60)
        assert await outbox.start_sending(session, row, sender_id="A")
        done = await outbox.mark_final(
            session, row, sender_id="A", status=Status.BLOCKED, error="x" * 500, now=when
        )
        await session.commit()
        person = await session.get(User, users[0])
        stored = await session.get(Delivery, row.id)
    assert done and stored is not None and stored.status == "blocked"
    assert stored.error == "x" * outbox.ERROR_LIMIT
    assert person is not None and person.unreachable_at is not None
    assert person.unreachable_at.replace(tzinfo=None) == when.replace(tzinfo=None)
    async with sessionmaker() as session:
        assert await outbox.cancel(session, source_kind=SOURCE, source_id=1) == 0
        assert await outbox.cancel(session, source_kind="reminder", source_id=1) == 0


async def test_cancelling_one_source_leaves_the_others(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator
) -> None:
    await seed(sessionmaker, emulator, 2)
    async with sessionmaker() as session:
        content = await outbox.add_content(
            session, source_kind="reminder", source_id=1, payload=Payload("x")
        )
        await outbox.enqueue(
            session,
            source_kind="reminder",
            source_id=1,
            recipients=[Recipient(FIRST_USER)],
            contents={"": content},
        )
        assert await outbox.cancel(session, source_kind="reminder", source_id=1) == 1
        await session.commit()
        kept = await outbox.counts(session, source_kind=SOURCE, source_id=1)
    assert kept["pending"] == 2 and kept["cancelled"] == 0


async def test_blocking_marks_only_that_person_unreachable(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator
) -> None:
    users = await seed(sessionmaker, emulator, 2)
    async with sessionmaker() as session:
        await outbox.mark_unreachable(session, users[0])
        await session.commit()
        first = await session.get(User, users[0])
        second = await session.get(User, users[1])
        assert first is not None and first.unreachable_at is not None
        assert second is not None and second.unreachable_at is None
        marked = first.unreachable_at
        await outbox.mark_unreachable(session, users[0], now=utcnow() + timedelta(days=1))
        await session.commit()
        await session.refresh(first)
        assert first.unreachable_at == marked  # the first time it happened is kept


def test_a_sender_from_settings_is_paced_by_the_broadcast_rate() -> None:
    from bot.delivery.sender import Sender
    from bot.settings import Settings

    free = Settings(broadcast_rate=20, broadcast_concurrency=3, _env_file=None)  # type: ignore[call-arg]
    sender = Sender.from_settings(None, None, free)  # type: ignore[arg-type]
    assert sender.limiter.rate == 20 and sender.options.concurrency == 3
    assert not sender.options.paid
    paid = Settings(broadcast_paid=True, broadcast_paid_rate=500, _env_file=None)  # type: ignore[call-arg]
    sender = Sender.from_settings(None, None, paid, concurrency=5)  # type: ignore[arg-type]
    assert sender.limiter.rate == 500 and sender.options.paid
    assert sender.options.concurrency == 5


def test_what_a_failed_send_means() -> None:
    from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
    from aiogram.methods import SendMessage
    from aiohttp import ClientConnectorError

    from bot.delivery.sender import Verdict, judge

    method = SendMessage(chat_id=1, text="x")

    def bad(text: str) -> TelegramBadRequest:
        return TelegramBadRequest(method=method, message=text)

    assert judge(bad("Bad Request: chat not found")) is Verdict.BLOCKED
    assert judge(bad("Bad Request: PEER_ID_INVALID")) is Verdict.BLOCKED
    assert judge(bad("Bad Request: message text is empty")) is Verdict.FAILED
    refused = TelegramNetworkError(method=method, message="cannot connect")
    refused.__cause__ = ClientConnectorError(None, OSError(111, "refused"))  # type: ignore[arg-type]
    assert judge(refused) is Verdict.RETRY
    lost = TelegramNetworkError(method=method, message="timeout")
    lost.__cause__ = TimeoutError()
    assert judge(lost) is Verdict.UNCERTAIN


async def test_retries_back_off_exponentially_with_jitter(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    import dataclasses

    await seed(sessionmaker, emulator, 3)
    options = SenderOptions(backoff=10, max_backoff=300, max_attempts=20)
    sender = Sender(bot, sessionmaker, limiter=Limiter(100), options=options)
    async with sessionmaker() as session:
        rows = await outbox.claim(session, sender_id=sender.name, limit=3, lease=60)
        await session.commit()
    waits = {}
    for row, attempts in zip(rows, (0, 2, 8), strict=True):
        row = dataclasses.replace(row, attempts=attempts)
        before = utcnow()
        await sender._retry(row, "502")
        async with sessionmaker() as session:
            stored = await session.get(Delivery, row.id)
        assert stored is not None and stored.status == "pending" and stored.claimed_by is None
        assert stored.claimed_at is None and stored.error == "502"
        waits[attempts] = (
            stored.next_attempt_at.replace(tzinfo=None) - before.replace(tzinfo=None)
        ).total_seconds()
    assert 5 - 0.5 <= waits[0] <= 10 + 0.5  # backoff × 2^0, jittered down to half
    assert 20 - 0.5 <= waits[2] <= 40 + 0.5  # × 2^2
    assert 150 - 0.5 <= waits[8] <= 300 + 0.5  # capped at max_backoff
    assert sender.stats.retried == 3


async def test_a_long_pause_gives_the_queued_rows_back(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    """Rows waiting in a paused sender's queue go back to the outbox, so another sender (or
    this one, later) may take them; they are all sent once the pause is over."""
    users = await seed(sessionmaker, emulator, 6)
    sender = make_sender(bot, sessionmaker, rate=2, concurrency=1, claim_lease=1)
    sender.start()
    try:
        await emulator.wait_until(lambda: emulator.counters.calls["sendMessage"] >= 1, 10)
        sender.limiter.pause(2)

        async def unclaimed() -> int:
            async with sessionmaker() as session:
                rows = await outbox.rows_of(
                    session, source_kind=SOURCE, source_id=1, statuses=[DeliveryStatus.PENDING]
                )
            return sum(1 for row in rows if row.claimed_by is None)

        async def given_back() -> None:
            while True:
                if await unclaimed() >= 4:
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(given_back(), 1.5)
        counts = await settle(sessionmaker, within=20)
    finally:
        await sender.stop()
    assert counts["sent"] == 6
    assert set(per_chat(emulator, users).values()) == {1}


async def test_two_senders_deliver_each_row_once(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    users = await seed(sessionmaker, emulator, 200)
    emulator.set_latency(1, 5)
    first, second = (make_sender(bot, sessionmaker, rate=50) for _ in range(2))
    first.start()
    second.start()
    try:
        counts = await settle(sessionmaker)
    finally:
        await first.stop()
        await second.stop()
    assert counts["sent"] == 200
    assert set(per_chat(emulator, users).values()) == {1}
    assert first.stats.sent > 0 and second.stats.sent > 0
    assert first.stats.sent + second.stats.sent == 200
    async with sessionmaker() as session:
        delivered = await ledger.count(session, kind=ledger.EventKind.BROADCAST_DELIVERED)
    assert delivered == 200


async def test_only_the_process_holding_the_sender_lock_sends(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    """Two replicas: one sends, the other stands by and takes over when the first is gone."""
    engine = sessionmaker.kw["bind"]
    leaders = [
        SenderLeadership(
            make_sender(bot, sessionmaker, rate=200),
            leader_lock_for(engine, role="sender", key=SENDER_LOCK_KEY),
            interval=0.05,
        )
        for _ in range(2)
    ]
    first, second = leaders
    try:
        assert await first.tick() is True
        assert await second.tick() is False
        first.start()
        second.start()
        users = await seed(sessionmaker, emulator, 30)
        counts = await settle(sessionmaker)
        assert counts["sent"] == 30 and first.sender.stats.sent == 30
        assert not second.sender.running and second.sender.stats.sent == 0

        await first.stop()  # the first replica goes away: the second takes over
        more = await seed(sessionmaker, emulator, 20, source_id=2, first=FIRST_USER + 100)
        counts = await settle(sessionmaker, source_id=2)
        assert counts["sent"] == 20 and second.sender.stats.sent == 20
        assert set(per_chat(emulator, users + more).values()) == {1}
    finally:
        for leadership in leaders:
            await leadership.stop()


async def test_one_chat_gets_its_messages_a_second_apart(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    """Three messages for one person due at once (a broadcast, a reminder, a report): each
    waits a second after the previous one's answer, so Telegram never answers 429."""
    sources = (1, 2, 3)
    for source_id in sources:
        await seed(sessionmaker, emulator, 1, source_id=source_id)
    sender = make_sender(bot, sessionmaker, private_interval=1.0)
    sender.start()
    try:
        counts = [await settle(sessionmaker, source_id=s) for s in sources]
    finally:
        await sender.stop()
    assert emulator.counters.too_many_requests == 0
    assert [c["sent"] for c in counts] == [1, 1, 1]
    assert len(emulator.messages(FIRST_USER)) == 3
    assert sender.stats.rate_limited == 0


async def test_a_message_dropped_before_its_send_lets_the_next_one_to_the_chat_go(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    """The first of two messages to a person is cancelled while it waits for the chat's
    turn: the second still goes."""
    for source_id in (1, 2):
        await seed(sessionmaker, emulator, 1, source_id=source_id)
    sender = make_sender(bot, sessionmaker, concurrency=2)
    sender.limiter.hold_chat(FIRST_USER, 0.5)
    sender.start()
    try:
        await asyncio.sleep(0.2)
        async with sessionmaker() as session:
            assert await outbox.cancel(session, source_kind=SOURCE, source_id=1) == 1
            await session.commit()
        second = await settle(sessionmaker, source_id=2, within=10)
    finally:
        await sender.stop()
    assert second["sent"] == 1
    assert sender.stats.skipped == 1
    assert len(emulator.messages(FIRST_USER)) == 1


async def test_429_waits_and_sends_again(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    users = await seed(sessionmaker, emulator, 40)
    emulator.set_rate_limits(RateLimits(global_per_second=10, private_per_second=1))
    sender = make_sender(bot, sessionmaker, rate=30)  # three times too fast
    sender.start()
    try:
        counts = await settle(sessionmaker)
    finally:
        await sender.stop()
    assert emulator.counters.too_many_requests > 0
    assert sender.stats.rate_limited == emulator.counters.too_many_requests
    assert counts["sent"] == 40
    assert set(per_chat(emulator, users).values()) == {1}


async def test_blocked_user_is_marked_unreachable_and_never_retried(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    users = await seed(sessionmaker, emulator, 5)
    blocked = users[2]
    emulator.block(blocked)
    sender = make_sender(bot, sessionmaker)
    sender.start()
    try:
        counts = await settle(sessionmaker)
    finally:
        await sender.stop()
    assert counts["sent"] == 4 and counts["blocked"] == 1
    assert (sender.stats.sent, sender.stats.blocked, sender.stats.failed) == (4, 1, 0)
    assert sender.stats.uncertain == sender.stats.retried == 0
    attempts = [c for c in emulator.calls if str(c.params.get("chat_id")) == str(blocked)]
    assert len(attempts) == 1 and attempts[0].status == 403
    async with sessionmaker() as session:
        person = await session.get(User, blocked)
        row = await outbox.delivery_for(session, source_kind=SOURCE, source_id=1, chat_id=blocked)
    assert person is not None and person.unreachable_at is not None
    assert row is not None and "blocked" in (row.error or "")


async def test_server_errors_are_retried_then_failed(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    users = await seed(sessionmaker, emulator, 4)
    flaky, broken = users[0], users[1]
    emulator.fail_next(2, status=502, chat_id=flaky)
    emulator.fail_next(10, status=500, chat_id=broken)
    sender = make_sender(bot, sessionmaker, max_attempts=3)
    sender.start()
    try:
        counts = await settle(sessionmaker)
    finally:
        await sender.stop()
    assert counts["sent"] == 3 and counts["failed"] == 1
    assert (sender.stats.failed, sender.stats.retried, sender.stats.blocked) == (1, 4, 0)
    assert sender.stats.uncertain == 0
    calls = [int(c.params["chat_id"]) for c in emulator.calls if c.method == "sendMessage"]
    assert calls.count(flaky) == 3 and calls.count(broken) == 3
    assert per_chat(emulator, users) == {users[0]: 1, users[1]: 0, users[2]: 1, users[3]: 1}
    async with sessionmaker() as session:
        row = await outbox.delivery_for(session, source_kind=SOURCE, source_id=1, chat_id=broken)
    assert row is not None and row.attempts == 3 and row.status == "failed"


async def test_a_send_in_flight_at_a_crash_becomes_uncertain_and_is_not_resent(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    users = await seed(sessionmaker, emulator, 3)
    stuck = users[1]
    emulator.hang_next(1, chat_id=stuck, deliver=True)  # delivered, the answer never comes
    first = make_sender(bot, sessionmaker, concurrency=1, send_timeout=1, send_lease=2.5)
    first.start()
    await emulator.wait_for_messages(stuck, 1)
    await asyncio.sleep(0.1)
    await kill(first)
    async with sessionmaker() as session:
        row = await outbox.delivery_for(session, source_kind=SOURCE, source_id=1, chat_id=stuck)
        assert row is not None and row.status == "sending"
    second = make_sender(bot, sessionmaker, send_timeout=1, send_lease=2.5, claim_lease=1)
    second.start()
    try:
        counts = await settle(sessionmaker, within=20)
    finally:
        await second.stop()
    assert counts["uncertain"] == 1 and counts["sent"] == 2
    assert (first.stats.uncertain, first.stats.failed, first.stats.blocked) == (0, 0, 0)
    assert per_chat(emulator, users) == {u: 1 for u in users}
    assert second.stats.recovered == 1


async def test_restart_resumes_without_duplicates_or_gaps(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    users = await seed(sessionmaker, emulator, 120)
    emulator.set_latency(5, 15)
    concurrency = 4
    first = make_sender(
        bot, sessionmaker, rate=100, concurrency=concurrency, send_timeout=1, send_lease=2.5
    )
    first.start()
    await emulator.wait_until(lambda: emulator.counters.calls["sendMessage"] >= 50, 10)
    await kill(first)
    killed_at = sum(per_chat(emulator, users).values())
    assert 0 < killed_at < 120
    second = make_sender(
        bot, sessionmaker, concurrency=concurrency, send_timeout=1, send_lease=2.5, claim_lease=1
    )
    second.start()
    try:
        counts = await settle(sessionmaker, within=30)
    finally:
        await second.stop()
    got = per_chat(emulator, users)
    assert max(got.values()) == 1, "somebody got the message twice"
    assert counts["uncertain"] <= concurrency
    assert counts["sent"] + counts["uncertain"] == 120
    async with sessionmaker() as session:
        rows = await outbox.rows_of(session, source_kind=SOURCE, source_id=1)
    for row in rows:
        if row.status == "sent":
            assert got[row.chat_id] == 1
    assert sum(got.values()) >= counts["sent"]


async def test_cancel_stops_pending_rows(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    users = await seed(sessionmaker, emulator, 30)
    sender = make_sender(bot, sessionmaker, rate=10, concurrency=1)
    sender.start()
    try:
        await emulator.wait_until(lambda: emulator.counters.calls["sendMessage"] >= 3, 10)
        async with sessionmaker() as session:
            cancelled = await outbox.cancel(session, source_kind=SOURCE, source_id=1)
            await session.commit()
        counts = await settle(sessionmaker)
    finally:
        await sender.stop()
    assert cancelled > 0
    assert counts["cancelled"] == cancelled
    assert counts["sent"] == sum(per_chat(emulator, users).values()) == 30 - cancelled


async def test_scheduled_rows_wait_for_their_time(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator, bot: Bot
) -> None:
    from datetime import timedelta

    async with sessionmaker() as session:
        emulator.add_user(FIRST_USER)
        content = await outbox.add_content(
            session,
            source_kind=SOURCE,
            source_id=5,
            payload=Payload(
                "Ảnh", buttons=((Button("Mở", url="https://t.me/canhgiac_test_bot?start=x"),),)
            ),
        )
        await outbox.enqueue(
            session,
            source_kind=SOURCE,
            source_id=5,
            recipients=[Recipient(FIRST_USER)],
            contents={"": content},
            not_before=utcnow() + timedelta(seconds=1.5),
        )
        await session.commit()
    sender = make_sender(bot, sessionmaker)
    sender.start()
    try:
        await asyncio.sleep(0.8)
        assert emulator.messages(FIRST_USER) == []
        await settle(sessionmaker, source_id=5, within=10)
    finally:
        await sender.stop()
    [message] = emulator.messages(FIRST_USER)
    assert message.buttons() == [[("Mở", "https://t.me/canhgiac_test_bot?start=x")]]
