"""The numpy counting of distinct people and days, against a plain reading of the rules."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.periods import pack_days
from bot.reports.counting import MAX_WINDOWS, CountInput, active_days, count

FIRST = 739_000  # a date ordinal (2024)
SPAN = 12  # days: few enough that edges and repeats are common
BIG_IDS = 1 << 53
CORE = ("a", "b")
TARGETS = (1, 2, 3)
# Units 10..13 and the targets they count in: a unit may count in several, or in none.
UNIT_TARGETS = {10: (1,), 11: (1, 2), 12: (2, 3), 13: ()}
SET_UNITS = {100: (10,), 101: (11,), 102: (10, 12), 103: (13,), 104: (12,)}
SET_TARGETS = {
    set_id: tuple(sorted({t for u in units for t in UNIT_TARGETS[u]}))
    for set_id, units in SET_UNITS.items()
}

people = st.integers(min_value=1, max_value=4)
days = st.sets(st.integers(min_value=FIRST, max_value=FIRST + SPAN), max_size=6)
activity_rows = st.lists(
    st.tuples(st.sampled_from(sorted(SET_UNITS)), people, days, days, days), max_size=12
)
windows = st.lists(
    st.tuples(st.integers(FIRST, FIRST + SPAN), st.integers(0, SPAN // 2)).map(
        lambda w: (w[0], w[0] + w[1])
    ),
    min_size=1,
    max_size=4,
)


def _packed(rows: list[tuple[int, int, set[int], set[int], set[int]]]) -> list[tuple[Any, ...]]:
    """One row per (set, person), as `StatsUserActivity` stores them."""
    merged: dict[tuple[int, int], list[set[int]]] = {}
    for set_id, person, active, reminded, passed in rows:
        marks = merged.setdefault((set_id, person), [set(), set(), set()])
        for into, more in zip(marks, (active | reminded | passed, reminded, passed), strict=True):
            into |= more
    packed = []
    for (set_id, person), marks in merged.items():
        first = min(marks[0], default=FIRST)
        packed.append((set_id, person, first, *(pack_days(m, first) for m in marks)))
    return packed


def _days_of(rows: list[tuple[Any, ...]]) -> dict[tuple[int, int], list[set[int]]]:
    """(set, person) → the sets of days of each kind, unpacked the slow way."""
    found = {}
    for set_id, person, first, *packed in rows:
        found[(set_id, person)] = [
            {first + int.from_bytes(p[i : i + 2], "little") for i in range(0, len(p), 2)}
            for p in packed
        ]
    return found


@settings(max_examples=150, deadline=None)
@given(activity_rows, st.integers(FIRST, FIRST + SPAN), st.integers(0, SPAN))
def test_active_days_counts_each_day_once_per_target(rows: list[Any], low: int, span: int) -> None:
    packed = _packed(rows)
    expected: dict[tuple[int, int], set[int]] = defaultdict(set)
    for (set_id, person), (active, _, _) in _days_of(packed).items():
        for target in SET_TARGETS[set_id]:
            expected[(target, person)] |= {d for d in active if low <= d <= low + span}
    wanted = {key: len(found) for key, found in expected.items() if found}
    assert active_days(packed, SET_TARGETS, low, low + span) == wanted


members_rows = st.lists(
    st.tuples(st.sampled_from(sorted(UNIT_TARGETS)), people), min_size=3, max_size=10
)


@settings(max_examples=150, deadline=None)
@given(
    members_rows,
    st.lists(st.integers(0, 15), min_size=10, max_size=10),
    st.sets(people),
    activity_rows,
    st.lists(
        st.tuples(
            st.sampled_from(sorted(SET_UNITS)),
            people,
            st.sampled_from(CORE),
            st.integers(FIRST, FIRST + SPAN),
        ),
        min_size=4,
        max_size=16,
    ),
    windows,
    st.sampled_from([0, (1 << 52) - 1, BIG_IDS]),
)
def test_count_matches_the_rules(
    memberships: list[tuple[int, int]],
    masks: list[int],
    consented: set[int],
    rows: list[Any],
    reads: list[tuple[int, int, str, int]],
    spans: list[tuple[int, int]],
    shift: int,
) -> None:
    # Ids past 52 bits take the other way of keying people: the counts must not change.
    members = [(unit, person + shift, masks[i]) for i, (unit, person) in enumerate(memberships)]
    consented = {person + shift for person in consented}
    rows = [(set_id, person + shift, *days) for set_id, person, *days in rows]
    reads = [(set_id, person + shift, *rest) for set_id, person, *rest in reads]
    packed = _packed(rows)
    data = CountInput(
        targets=TARGETS,
        unit_targets=UNIT_TARGETS,
        set_targets=SET_TARGETS,
        members=members,
        consented=sorted(consented),
        activity=packed,
        reads=reads,
        core=CORE,
    )
    result = count(data, spans)
    unpacked = _days_of(packed)
    for target in TARGETS:
        for index, window in enumerate(spans):
            listed = {
                person
                for unit, person, mask in members
                if target in UNIT_TARGETS[unit] and mask >> index & 1
            }
            got = result[target][index]
            assert got.scorecard.members == len(listed)
            assert got.scorecard.enrolled == len(listed & consented)
            did = [
                {p for p in listed if _did(unpacked, kind, target, p, window)} for kind in (0, 1, 2)
            ]
            assert got.active == len(did[0])
            assert got.scorecard.acknowledged == len(did[1])
            assert got.scorecard.passed_core == len(did[2])
            readers = {p for p in listed if _read_all(reads, target, p, window[1])}
            assert got.scorecard.read_core == len(readers)


def _did(
    unpacked: dict[tuple[int, int], list[set[int]]],
    kind: int,
    target: int,
    person: int,
    window: tuple[int, int],
) -> bool:
    """Whether the person has a day of this kind inside the window, in a set of the target."""
    low, high = window
    return any(
        target in SET_TARGETS[set_id] and any(low <= d <= high for d in marks[kind])
        for (set_id, who), marks in unpacked.items()
        if who == person
    )


def _read_all(reads: list[tuple[int, int, str, int]], target: int, person: int, by: int) -> bool:
    """Whether the person had read every core explainer, in sets of the target, by a day."""
    return all(
        any(
            target in SET_TARGETS[s] and who == person and e == item and day <= by
            for s, who, e, day in reads
        )
        for item in CORE
    )


def _small_input(**changes: Any) -> CountInput:
    values: dict[str, Any] = {
        "targets": (1,),
        "unit_targets": {10: (1,)},
        "set_targets": {100: (1,)},
        # Units and sets the targets do not know (left out of the tree) count nowhere.
        "members": [(10, 1, 1), (10, 2, 1), (5, 3, 1), (50, 4, 1)],
        "consented": [1, 3, 4],
        "activity": [
            (100, 1, FIRST, pack_days({FIRST}, FIRST), b"", b""),
            (7, 2, FIRST, pack_days({FIRST}, FIRST), b"", b""),
            (700, 2, FIRST, pack_days({FIRST}, FIRST), b"", b""),
        ],
        "reads": [(100, 1, "a", FIRST), (100, 1, "b", FIRST + 1), (700, 2, "a", FIRST)],
        "core": CORE,
    }
    values.update(changes)
    return CountInput(**values)


def test_units_and_sets_outside_the_targets_count_nowhere() -> None:
    [got] = count(_small_input(), [(FIRST, FIRST + 1)])[1]
    assert got.scorecard.members == 2 and got.scorecard.enrolled == 1
    assert got.active == 1 and got.scorecard.read_core == 1
    assert active_days(_small_input().activity, {100: (1,)}, FIRST, FIRST) == {(1, 1): 1}


def test_as_many_windows_as_a_mask_holds_and_no_more() -> None:
    data = _small_input(members=[(10, 1, (1 << MAX_WINDOWS) - 1)])
    windows = [(FIRST - 40 + day, FIRST - 40 + day + 1) for day in range(MAX_WINDOWS)]
    counted = count(data, windows)[1]
    assert [w.scorecard.members for w in counted] == [1] * MAX_WINDOWS
    assert [w.active for w in counted].count(1) == 2  # the two windows holding FIRST
    with pytest.raises(ValueError, match="62"):
        count(data, [*windows, (FIRST, FIRST)])


@pytest.mark.parametrize("size", [2000, 2100])
def test_thousands_of_targets(size: int) -> None:
    """Past 2,048 targets people are numbered before keying: the last target still counts."""
    targets = tuple(range(1, size + 1))
    data = _small_input(
        targets=targets,
        unit_targets={10: (size,)},
        set_targets={100: (size,)},
    )
    result = count(data, [(FIRST, FIRST + 1)])
    [last] = result[size]
    assert (last.scorecard.members, last.active, last.scorecard.read_core) == (2, 1, 1)
    assert result[1][0].scorecard.members == 0


def test_nothing_to_count_and_one_person_alone() -> None:
    empty = _small_input(members=[], consented=[], activity=[], reads=[])
    assert count(empty, [(FIRST, FIRST)])[1][0].scorecard.members == 0
    lonely = CountInput(
        targets=TARGETS,
        unit_targets=UNIT_TARGETS,
        set_targets=SET_TARGETS,
        members=[(11, BIG_IDS + 1, 1)],  # unit 11 counts in targets 1 and 2
        consented=[],
        activity=[],
        reads=[],
        core=CORE,
    )
    result = count(lonely, [(FIRST, FIRST)])
    assert [result[t][0].scorecard.members for t in TARGETS] == [1, 1, 0]
