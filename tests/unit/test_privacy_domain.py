"""Pure privacy rules: pseudonyms, re-keyed ledger keys, how long things are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.privacy import (
    GUARDIAN_LINK_DAYS,
    PRE_CONSENT_DAYS,
    PURGE_EVERY,
    PurgeCutoffs,
    guardian_payload,
    new_token,
    past_retention,
    pseudonym,
    rekeyed,
    token_of,
)

NOW = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)


def test_a_pseudonym_is_negative_stable_and_keyed() -> None:
    ids = [1, 777, 123_456_789, 7_316_492_085, (1 << 52) - 1]
    names = [pseudonym(user_id, b"key") for user_id in ids]
    assert all(-(1 << 63) <= p < 0 for p in names)  # a negative 63-bit integer
    assert names == [pseudonym(user_id, b"key") for user_id in ids]
    assert all(pseudonym(user_id, b"other") != p for user_id, p in zip(ids, names, strict=True))
    spread = {pseudonym(user_id, b"key") for user_id in range(1, 20_001)}
    assert len(spread) == 20_000


def test_rekeyed_keys_name_nobody_and_still_group() -> None:
    first = rekeyed("broadcast_ack:12:7316492085:3", "n1", keep_unit=True)
    second = rekeyed("broadcast_ack:12:7316492085:4", "n1", keep_unit=True)
    assert "7316492085" not in first and first.endswith(":3") and second.endswith(":4")
    assert first.rpartition(":")[0] == second.rpartition(":")[0]  # one write, one group
    assert rekeyed("broadcast_ack:12:7316492085:3", "n2", keep_unit=True) != first
    whole = rekeyed("snooze:5:7316492085", "n1", keep_unit=False)
    assert "7316492085" not in whole and ":" not in whole and len(whole) <= 96


@pytest.mark.parametrize("hours", range(0, 24 * 8))
def test_a_first_contact_is_gone_within_seven_days(hours: int) -> None:
    """With a run every day, the first run that deletes a row comes before it is 7 days old."""
    created = NOW - timedelta(days=8) + timedelta(hours=hours)
    runs = [NOW - timedelta(days=8) + day * PURGE_EVERY for day in range(20)]
    deleted_at = next(
        run for run in runs if created <= PurgeCutoffs.at(run, retention_days=365).pre_consent
    )
    assert deleted_at - created < timedelta(days=PRE_CONSENT_DAYS)
    assert deleted_at - created >= timedelta(days=PRE_CONSENT_DAYS) - PURGE_EVERY


def test_retention_counts_from_the_last_membership_or_the_consent() -> None:
    cutoff = PurgeCutoffs.at(NOW, retention_days=365).retention
    assert cutoff == NOW - timedelta(days=364)
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=100)
    assert past_retention(active=False, last_end=old, consent_at=None, cutoff=cutoff)
    assert not past_retention(active=False, last_end=recent, consent_at=old, cutoff=cutoff)
    assert not past_retention(active=True, last_end=old, consent_at=old, cutoff=cutoff)
    assert past_retention(active=False, last_end=None, consent_at=old, cutoff=cutoff)
    assert not past_retention(active=False, last_end=None, consent_at=None, cutoff=cutoff)


def test_guardian_links() -> None:
    token = new_token()
    assert token_of(guardian_payload(token)) == token
    assert len(guardian_payload(token)) <= 64  # a deep link payload's limit
    assert token_of("guardian-short") is None and token_of("HS-A") is None
    assert GUARDIAN_LINK_DAYS == 7
