"""The held-out evaluation of the search (tests/search/eval.yaml): what learners type.

The queries were written before the search was tuned and are not reworded to pass; the
search must put an explainer that answers them among its first three results for at least
95% of them. `python bench/search_bench.py` prints the same hit rates beside its latency.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.domain.content import Library, load_library

ROOT = Path(__file__).resolve().parents[2]
EVALUATION = ROOT / "tests" / "search" / "eval.yaml"
TOP3_TARGET = 0.95


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(ROOT / "content")


@pytest.fixture(scope="module")
def cases() -> list[dict[str, object]]:
    return yaml.safe_load(EVALUATION.read_text(encoding="utf-8"))


def test_the_set_is_big_varied_and_points_at_real_explainers(
    library: Library, cases: list[dict[str, object]]
) -> None:
    assert len(cases) >= 60
    assert sum(case["kind"] == "question" for case in cases) * 2 >= len(cases)
    assert {case["lang"] for case in cases} == {"vi", "en"}
    assert len({str(case["q"]).lower() for case in cases}) == len(cases)
    known = set(library.ids())
    for case in cases:
        assert set(case["expect"]) <= known, case  # type: ignore[arg-type]


def test_top_three_hit_rate(library: Library, cases: list[dict[str, object]]) -> None:
    missed = []
    for case in cases:
        found = [hit.explainer.id for hit in library.search(str(case["q"]), str(case["lang"]), 3)]
        if not set(case["expect"]) & set(found):  # type: ignore[arg-type]
            missed.append((case["lang"], case["q"], found))
    rate = 1 - len(missed) / len(cases)
    assert rate >= TOP3_TARGET, f"top-3 {rate:.0%}; missed: {missed}"
