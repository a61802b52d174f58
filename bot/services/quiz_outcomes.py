"""What the quiz use cases hand back to the Telegram layer: question cards, feedback on an
answer, the final summary, and the status of a start or of a step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.domain.quiz import Bank, Question
from bot.domain.quiz_engine import DrawnQuestion


class StartStatus(StrEnum):
    STARTED = "started"
    COOLDOWN = "cooldown"


class StepStatus(StrEnum):
    ANSWERED = "answered"
    TIMED_OUT = "timed_out"
    ALREADY = "already"  # this question was already answered (a double tap, or the timer won)
    ENDED = "ended"  # the attempt is finished, abandoned or unknown
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class QuestionCard:
    attempt_id: int
    bank: Bank
    position: int
    total: int
    question: Question
    drawn: DrawnQuestion

    @property
    def multiple(self) -> bool:
        return len(self.question.correct) > 1


@dataclass(frozen=True)
class StartResult:
    status: StartStatus
    card: QuestionCard | None = None
    wait: timedelta | None = None
    counted: bool = False


@dataclass(frozen=True)
class Feedback:
    """How one question went; `chosen` holds displayed indexes, None after a timeout."""

    question: Question
    drawn: DrawnQuestion
    chosen: tuple[int, ...] | None
    correct: bool

    @property
    def timed_out(self) -> bool:
        return self.chosen is None


@dataclass(frozen=True)
class Summary:
    bank: Bank
    correct: int
    total: int
    percent: int
    passed: bool
    duration: timedelta
    missed: tuple[Feedback, ...]


@dataclass(frozen=True)
class Step:
    """The outcome of an answer or a timeout, with what to show next."""

    status: StepStatus
    attempt_id: int = 0
    user_id: int = 0
    chat_id: int = 0
    message_id: int | None = None
    language: str = "vi"
    feedback: Feedback | None = None
    next: QuestionCard | None = None
    summary: Summary | None = None
