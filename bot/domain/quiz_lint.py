"""Fairness of the question banks: what `canhgiac quizzes check --lint` reports.

Three things give answers away or make a bank too thin to practise with:

- **length bias**: in a bank where the right option is often the longest, a learner who
  always picks the longest scores well without knowing anything. A single-answer question
  counts when its right option is strictly longer than every other; the share per bank
  must stay at or below `MAX_LONGEST_SHARE` (chance with four options is about a quarter);
- **repeated stems**: when every wrong option opens with the same word and the right one
  does not, the odd one out is the answer; and when two or more wrong options open with an
  absolute word ("Chỉ…", "Only…", "Luôn…", "Never…") that no right option has, the
  absolute ones are easy to strike out;
- **small banks**: fewer than `MIN_QUESTIONS` questions repeat too soon.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.content_model import Problem
from bot.domain.quiz import BankFile, Question
from bot.domain.text import tokens

MAX_LONGEST_SHARE = 0.30
MIN_QUESTIONS = 12


@dataclass(frozen=True)
class BankFairness:
    """One bank's numbers."""

    bank_id: str
    questions: int
    single_answer: int
    correct_longest: int

    @property
    def longest_share(self) -> float:
        return self.correct_longest / self.single_answer if self.single_answer else 0.0


def correct_is_longest(question: Question) -> bool:
    """A single-answer question whose right option is strictly the longest."""
    if len(question.correct) != 1:
        return False
    right = next(iter(question.correct))
    size = len(question.options[right])
    return all(
        len(option) < size for index, option in enumerate(question.options) if index != right
    )


# Folded opening words that make an option absolute. "chi" is "chỉ" (only) unless "chỉ thị".
ABSOLUTE_OPENERS = frozenset({"chi", "only", "luon", "always", "never", "solely"})


def _stem(option: str) -> str:
    """The folded opening word; "" for an option that opens with a number (a date, a count)."""
    words = tokens(option)
    return words[0] if words and not words[0].isdigit() else ""


def _absolute(option: str) -> str | None:
    words = tokens(option)
    if not words or words[0] not in ABSOLUTE_OPENERS or words[:2] == ["chi", "thi"]:
        return None
    return words[0]


def repeated_stem(question: Question) -> str | None:
    """The opening word that gives the right option away (see the module), or None."""
    right = [question.options[index] for index in question.correct]
    wrong = [
        option for index, option in enumerate(question.options) if index not in question.correct
    ]
    stems = {_stem(option) for option in wrong}
    if len(wrong) >= 2 and len(stems) == 1 and "" not in stems:
        (stem,) = stems
        if all(_stem(option) != stem for option in right):
            return stem
    absolute = Counter(word for option in wrong if (word := _absolute(option)) is not None)
    if sum(absolute.values()) >= 2 and not any(_absolute(option) for option in right):
        return absolute.most_common(1)[0][0]
    return None


def fairness(bank_file: BankFile) -> BankFairness:
    questions = bank_file.questions
    return BankFairness(
        bank_id=bank_file.bank_id or bank_file.path.stem,
        questions=len(questions),
        single_answer=sum(1 for question in questions if len(question.correct) == 1),
        correct_longest=sum(1 for question in questions if correct_is_longest(question)),
    )


def lint_banks(files: Sequence[BankFile]) -> tuple[list[BankFairness], list[Problem]]:
    """Each bank's numbers, and every finding with its file and line."""
    numbers: list[BankFairness] = []
    findings: list[Problem] = []
    for bank_file in files:
        stats = fairness(bank_file)
        numbers.append(stats)
        if stats.questions < MIN_QUESTIONS:
            message = f"bank has {stats.questions} questions; at least {MIN_QUESTIONS} are needed"
            findings.append(Problem(bank_file.path, bank_file.line_of("questions"), message))
        if stats.longest_share > MAX_LONGEST_SHARE:
            message = (
                f"the right option is the longest in {stats.correct_longest} of "
                f"{stats.single_answer} single-answer questions ({stats.longest_share:.0%}); "
                f"at most {MAX_LONGEST_SHARE:.0%}"
            )
            findings.append(Problem(bank_file.path, bank_file.line_of("questions"), message))
        for question in bank_file.questions:
            stem = repeated_stem(question)
            if stem is not None:
                message = (
                    f"question {question.id!r}: wrong options share the opening '{stem}' "
                    "and the right one does not: it stands out"
                )
                findings.append(
                    Problem(bank_file.path, bank_file.line_of("options", question.id), message)
                )
    return numbers, findings
