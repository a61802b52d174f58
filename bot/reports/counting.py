"""Distinct people per unit and window, from rollup rows, with numpy.

A unit's subtree may hold one person several times (two memberships, several unit sets), so
counts of people come from (target, person) pairs made unique by sorting, not from sums. Every
row is expanded once into one pair per target it counts in; each window is then a bit of a
mask and a `bincount`. Windows are (first day, last day) as date ordinals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.domain.scorecard import ScorecardCounts

MAX_WINDOWS = 62  # bits of an int64 mask
Windows = Sequence[tuple[int, int]]


@dataclass(frozen=True)
class CountInput:
    targets: Sequence[int]
    unit_targets: Mapping[int, Sequence[int]]  # unit → the targets it counts in
    set_targets: Mapping[int, Sequence[int]]  # unit set → the targets it counts in
    members: Sequence[tuple[int, int, int]]  # unit, person, window mask
    consented: Sequence[int]  # people whose consent stands
    activity: Sequence[tuple[Any, ...]]  # rows of StatsUserActivity (see `storage.stats`)
    reads: Sequence[tuple[int, int, str, int]]  # set, person, explainer, first day
    core: Sequence[str]  # explainers a person must have read


@dataclass(frozen=True)
class WindowCounts:
    active: int
    scorecard: ScorecardCounts


ROW_SPAN = 1 << 21  # above any date ordinal this code will meet (year 5700)


def day_keys(packed: Sequence[bytes], firsts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every stored day as `row * ROW_SPAN + day` (sorted), and each row's count of days.

    `packed` holds sorted uint16 little-endian offsets from each row's first day, as
    `bot.domain.periods.pack_days` writes them.
    """
    counts = np.fromiter(map(len, packed), np.int64, len(packed)) // 2
    offsets = np.frombuffer(b"".join(packed), dtype="<u2").astype(np.int64)
    rows = np.repeat(np.arange(len(packed), dtype=np.int64), counts)
    return rows * ROW_SPAN + np.repeat(firsts, counts) + offsets, counts


def window_marks(packed: Sequence[bytes], firsts: np.ndarray, windows: Windows) -> np.ndarray:
    """For each row, bit w set when one of its days falls in window w."""
    keys, counts = day_keys(packed, firsts)
    marks = np.zeros(len(packed), dtype=np.int64)
    rows = np.flatnonzero(counts)  # rows without days cannot match: skip their searches
    base = rows * ROW_SPAN
    for index, (low, high) in enumerate(windows):
        found = np.searchsorted(keys, base + high, side="right") - np.searchsorted(keys, base + low)
        marks[rows] |= (found > 0).astype(np.int64) << np.int64(index)
    return marks


def _column(rows: Sequence[tuple[Any, ...]], index: int) -> np.ndarray:
    return np.array([row[index] for row in rows], dtype=np.int64)


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """Rows turned into columns (one pass in C)."""
    return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]


def _positions(ids: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Index of each id in the sorted `known`, or len(known) when absent."""
    if known.size == 0:
        return np.zeros(ids.size, dtype=np.int64)
    index = np.clip(np.searchsorted(known, ids), 0, known.size - 1)
    return np.where(known[index] == ids, index, known.size)


def _expand(groups: np.ndarray, targets_of: Sequence[Sequence[int]]) -> tuple[np.ndarray, ...]:
    """(row index, target position) for every target each row's group counts in."""
    counts = np.array([len(t) for t in targets_of] or [0], dtype=np.int64)
    flat = np.array([x for t in targets_of for x in t] or [0], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    per_row = counts[groups] if groups.size else np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(groups.size), per_row)
    offsets = np.arange(rows.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    return rows, flat[np.repeat(starts[groups], per_row) + offsets] if rows.size else rows


class _PersonKeys:
    """(target, person) pairs as single int64 keys that sort by target, then person.

    Telegram ids fit in 52 bits, so the target goes above them when there are fewer than
    2,048 targets; otherwise people are numbered first (a sort more).
    """

    ID_BITS = 52

    def __init__(self, people: np.ndarray, targets: int) -> None:
        self.raw = targets < (1 << (63 - self.ID_BITS)) and (
            people.size == 0 or (int(people.min()) >= 0 and int(people.max()) < 1 << self.ID_BITS)
        )
        self.people = np.zeros(0, dtype=np.int64) if self.raw else np.unique(people)
        self.span = (1 << self.ID_BITS) if self.raw else max(int(self.people.size), 1)

    def __call__(self, target: np.ndarray, person: np.ndarray) -> np.ndarray:
        index = person if self.raw else np.searchsorted(self.people, person)
        return target * self.span + index

    def target_of(self, keys: np.ndarray) -> np.ndarray:
        return keys // self.span


def _reduce(keys: np.ndarray, *values: np.ndarray, how: np.ufunc = np.bitwise_or) -> tuple:
    """Unique keys (sorted) and each value array reduced over equal keys."""
    if keys.size == 0:
        return (keys, *(v[:0] for v in values))
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return (ordered[starts], *(how.reduceat(v[order], starts) for v in values))


def _aligned(keys: np.ndarray, other_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` (keyed by sorted `other_keys`) looked up for each of `keys`; 0 where absent."""
    if other_keys.size == 0:
        return np.zeros(keys.size, dtype=np.int64)
    index = np.clip(np.searchsorted(other_keys, keys), 0, other_keys.size - 1)
    return np.where(other_keys[index] == keys, values[index], 0)


def count(data: CountInput, windows: Windows) -> dict[int, list[WindowCounts]]:
    """Per target and window: members, enrolled, active, read, passed, acknowledged people."""
    if len(windows) > MAX_WINDOWS:
        # Membership masks carry one bit per window: more could not be told apart.
        raise ValueError(f"at most {MAX_WINDOWS} windows at once, not {len(windows)}")
    position = {target: index for index, target in enumerate(data.targets)}
    units = sorted(data.unit_targets)
    sets = sorted(data.set_targets)
    unit_targets = [[position[t] for t in data.unit_targets[u]] for u in units] + [[]]
    set_targets = [[position[t] for t in data.set_targets[s]] for s in sets] + [[]]

    unit_ids = np.array(units, dtype=np.int64)
    set_ids = np.array(sets, dtype=np.int64)
    members = np.array(data.members, dtype=np.int64).reshape(-1, 3)
    m_unit = _positions(members[:, 0], unit_ids)
    m_user, m_win = members[:, 1], members[:, 2]
    m_ok = np.isin(m_user, np.array(data.consented, dtype=np.int64))
    activity = _columns(data.activity, 6)
    a_set = _positions(np.array(activity[0], dtype=np.int64), set_ids)
    a_user = np.array(activity[1], dtype=np.int64)
    firsts = np.array(activity[2], dtype=np.int64)
    marks = [window_marks(activity[column], firsts, windows) for column in (3, 4, 5)]
    core = {explainer: index for index, explainer in enumerate(data.core)}
    reads = _columns([r for r in data.reads if r[2] in core], 4)
    r_set = _positions(np.array(reads[0], dtype=np.int64), set_ids)
    r_user = np.array(reads[1], dtype=np.int64)
    r_item = np.array([core[e] for e in reads[2]], dtype=np.int64)
    r_day = np.array(reads[3], dtype=np.int64)

    person_key = _PersonKeys(np.concatenate((m_user, a_user, r_user)), len(data.targets))

    rows, target = _expand(m_unit, unit_targets)
    m_key = person_key(target, m_user[rows])
    m_keys, m_any, m_consented = _reduce(m_key, m_win[rows], m_win[rows] * m_ok[rows])

    rows, target = _expand(a_set, set_targets)
    a_keys, *a_marks = _reduce(person_key(target, a_user[rows]), *(mark[rows] for mark in marks))

    # Read every core explainer by the window's end: per explainer the first day, then the
    # latest of those firsts over the explainers, for people who read them all.
    rows, target = _expand(r_set, set_targets)
    r_key = person_key(target, r_user[rows])
    r_keys, done_day = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    for item in range(len(core)):
        chosen = r_item[rows] == item
        keys, first = _reduce(r_key[chosen], r_day[rows][chosen], how=np.minimum)
        if item == 0:
            r_keys, done_day = keys, first
            continue
        later = _aligned(r_keys, keys, first + 1) - 1  # -1: this explainer not read
        kept = later >= 0
        r_keys, done_day = r_keys[kept], np.maximum(done_day[kept], later[kept])
    read_mask = np.zeros(r_keys.size, dtype=np.int64)
    for index, (_, high) in enumerate(windows):
        read_mask |= (done_day <= high).astype(np.int64) << index

    flags = [_aligned(m_keys, a_keys, mark) for mark in a_marks]
    read = _aligned(m_keys, r_keys, read_mask)
    m_target = person_key.target_of(m_keys)
    size = len(data.targets)
    result: dict[int, list[WindowCounts]] = {t: [] for t in data.targets}
    for index in range(len(windows)):
        bit = np.int64(1) << np.int64(index)
        listed = (m_any & bit) != 0

        totals = np.bincount(m_target[listed], minlength=size)
        enrolled, active, reminded, passed, readers = (
            np.bincount(m_target[listed & ((mask & bit) != 0)], minlength=size)
            for mask in (m_consented, flags[0], flags[1], flags[2], read)
        )
        for target_id, t in position.items():
            result[target_id].append(
                WindowCounts(
                    active=int(active[t]),
                    scorecard=ScorecardCounts(
                        members=int(totals[t]),
                        enrolled=int(enrolled[t]),
                        read_core=int(readers[t]),
                        passed_core=int(passed[t]),
                        acknowledged=int(reminded[t]),
                    ),
                )
            )
    return result


def active_days(
    activity: Sequence[tuple[Any, ...]],
    set_targets: Mapping[int, Sequence[int]],
    low: int,
    high: int,
) -> dict[tuple[int, int], int]:
    """Distinct days with activity in low..high, per (target, person).

    Most people have one row per target, whose count of days in range is two binary searches;
    only people with several rows under one target have their days merged.
    """
    targets = sorted({t for ts in set_targets.values() for t in ts})
    position = {target: index for index, target in enumerate(targets)}
    sets = sorted(set_targets)
    targets_of = [[position[t] for t in set_targets[s]] for s in sets] + [[]]
    a_set = _positions(_column(activity, 0), np.array(sets, dtype=np.int64))
    a_user = _column(activity, 1)
    keys, _ = day_keys([row[3] for row in activity], _column(activity, 2))
    base = np.arange(len(activity), dtype=np.int64) * ROW_SPAN
    first = np.searchsorted(keys, base + low)
    last = np.searchsorted(keys, base + high, side="right")
    people = np.unique(a_user)
    n = max(people.size, 1)
    rows, target = _expand(a_set, targets_of)
    owner = target * n + np.searchsorted(people, a_user[rows])
    owners, where, repeats = np.unique(owner, return_index=True, return_counts=True)
    days = (last - first)[rows[where]]
    shared = np.flatnonzero(repeats > 1)
    if shared.size:
        picked = np.isin(owner, owners[shared])
        merged_owners, merged_days = _distinct_days(
            keys, first[rows[picked]], last[rows[picked]], owner[picked]
        )
        days[np.searchsorted(owners, merged_owners)] = merged_days
    return {
        (targets[owner // n], int(people[owner % n])): count
        for owner, count in zip(owners.tolist(), days.tolist(), strict=True)
        if count
    }


def _distinct_days(
    keys: np.ndarray, first: np.ndarray, last: np.ndarray, owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per owner, the distinct days among keys[first[i]:last[i]] of the rows it owns."""
    lengths = last - first
    picks = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    pairs = np.unique(np.repeat(owner, lengths) * ROW_SPAN + keys[picks] % ROW_SPAN)
    owners, counts = np.unique(pairs // ROW_SPAN, return_counts=True)
    return owners, counts
