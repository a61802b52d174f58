"""The one scheduler: APScheduler 3 jobs derived from the `reminders` table, run by the leader,
and the system jobs: the 19/8 offer, monthly reports and the daily privacy purge.

Jobs are not kept in an APScheduler job store. The `Reminder` rows are the truth and
`ReminderFire` records what fired, so the leader rebuilds every job at start (explicit id
`reminder:<id>`, `replace_existing=True`) in the in-memory store and re-syncs every few
seconds by comparing `updated_at` — a reminder added from the CLI or another replica is picked
up without a restart. This needs no sync database driver (APScheduler 3's SQLAlchemy store is
synchronous and only asyncpg is installed), keeps no pickled callables that break when the code
changes, and leaves one source of truth.

Missed fires: a job's first run time is the first fire owed after the last recorded one. If
the bot was down for less than `REMINDER_MISFIRE_GRACE_SECONDS`, APScheduler finds that time in
the past and, with `coalesce=True`, runs the job once; fires older than the grace window are
skipped and logged (here at sync time, or by APScheduler as "missed"). The fire itself claims
a unique `ReminderFire` row, so even a race with another process cannot send twice.

Leadership (`bot.leader`): exactly one process schedules; standby processes try the lock
again every few seconds and take over when the leader is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import campaigns
from bot.domain.schedules import (
    Clock,
    Holidays,
    Kind,
    QuietHours,
    Schedule,
    ScheduleError,
    system_clock,
)
from bot.leader import LeaderLock, LeadingTask, leader_lock_for
from bot.services import monthly_reports, privacy, reminder_campaign
from bot.services.privacy import StateEraser
from bot.services.reminder_fires import fire_due
from bot.services.reminders import aware, last_fire_at, owed_since, schedule_of
from bot.settings import ConfigError, Settings
from bot.storage.models_reminders import FireKind, Reminder, ReminderFire
from bot.telegram.person_state import state_eraser
from bot.telegram.reminder_cards import MonthlyReportRenderer, OfferRenderer, ReminderRenderer

log = logging.getLogger(__name__)

SYNC_INTERVAL = 5.0  # seconds between two looks at the reminders table (and at the lock)
REMINDER_JOB = "reminder:"
REPORT_JOB = "monthly-reports"
OFFER_JOB = "campaign-offer"
PURGE_JOB = "privacy-purge"
PURGE_CRON = "30 3 * * *"  # 03:30 local, daily: see bot.domain.privacy for why daily matters


class ScheduleTrigger(BaseTrigger):
    """An APScheduler trigger over a domain `Schedule` (quiet hours, holidays, month ends)."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        return self.schedule.next_fire(previous_fire_time or now)

    def __str__(self) -> str:
        return f"schedule[{self.schedule.kind.value}]"


def checked_settings(settings: Settings) -> Holidays:
    """The holidays, after checking HOLIDAYS and REMINDER_QUIET_HOURS (a `ConfigError` names
    the bad one, so the bot refuses to start rather than failing at the first fire)."""
    try:
        QuietHours.parse(settings.reminder_quiet_hours)
    except ScheduleError as exc:
        raise ConfigError(f"REMINDER_QUIET_HOURS is invalid: {exc}") from exc
    try:
        return settings.holiday_rules()
    except ScheduleError as exc:
        raise ConfigError(f"HOLIDAYS is invalid: {exc}") from exc


class Renderers:
    """Builds the payload renderers once the bot's username is known (the scheduler runs
    outside updates, so it gets the i18n, content and banks from the dispatcher)."""

    def __init__(self, bot: Bot, data: dict[str, Any]) -> None:
        self.bot = bot
        self.data = data

    async def reminder(self) -> ReminderRenderer:
        me = await self.bot.me()
        return ReminderRenderer(
            self.data["i18n"],
            bot_username=me.username or "canhgiac_bot",
            content=self.data["content"],
            banks=self.data["banks"],
        )

    def offer(self) -> OfferRenderer:
        return OfferRenderer(self.data["i18n"])

    def report(self) -> MonthlyReportRenderer:
        return MonthlyReportRenderer(self.data["i18n"], self.data["settings"])


class ReminderScheduler(LeadingTask):
    """The APScheduler instance and its sync with the reminders table, in the leading process."""

    task_name = "reminder-scheduler"

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        renderers: Renderers,
        lock: LeaderLock,
        clock: Clock = system_clock,
        sync_interval: float = SYNC_INTERVAL,
        wake_sender: Callable[[], None] = lambda: None,
        forget_state: StateEraser | None = None,
    ) -> None:
        super().__init__(lock, sync_interval)
        self.forget_state = forget_state
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.renderers = renderers
        self.clock = clock
        self.wake_sender = wake_sender
        self.holidays = checked_settings(settings)
        self.grace = timedelta(seconds=settings.reminder_misfire_grace_seconds)
        self.scheduler = self._new_scheduler()
        self._known: dict[str, datetime] = {}
        self._system_jobs = False
        self._synced = asyncio.Event()

    def _new_scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": int(self.grace.total_seconds()),
                "max_instances": 1,
            },
        )
        scheduler.add_listener(self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        return scheduler

    async def synced(self, within: float = 10.0) -> None:
        """Wait until this process leads and has synced at least once (for tests)."""
        await asyncio.wait_for(self._synced.wait(), within)

    async def lead(self) -> None:
        self.scheduler.start()
        await self.sync()

    async def lead_round(self) -> None:
        await self.sync()

    async def step_down(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.scheduler = self._new_scheduler()
        self._known.clear()
        self._system_jobs = False
        self._synced.clear()

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning(
                "Scheduler: %s missed its fire at %s", event.job_id, event.scheduled_run_time
            )
        else:
            # Sync adds the job again; its fire is still owed within the grace window.
            self._known.pop(event.job_id, None)

    async def sync(self) -> None:
        """Bring the jobs in line with the reminders table."""
        async with self.sessionmaker() as session:
            rows = await session.exec(
                select(Reminder.id, Reminder.updated_at).where(
                    col(Reminder.deleted_at).is_(None), col(Reminder.paused).is_(False)
                )
            )
            current = {f"{REMINDER_JOB}{rid}": aware(stamp) for rid, stamp in rows.all()}
            for job_id in [j for j in self._known if j.startswith(REMINDER_JOB)]:
                if job_id not in current:
                    self._remove(job_id)
            if not self._system_jobs:
                await self._add_system_jobs()
                self._system_jobs = True
            for job_id, stamp in current.items():
                if self._known.get(job_id) != stamp:
                    reminder = await session.get(Reminder, int(job_id.removeprefix(REMINDER_JOB)))
                    if reminder is not None:
                        await self._schedule(session, reminder)
                    self._known[job_id] = stamp
        self._synced.set()

    def _remove(self, job_id: str) -> None:
        self._known.pop(job_id, None)
        with contextlib.suppress(Exception):
            self.scheduler.remove_job(job_id)

    def _first_run(
        self, job_id: str, schedule: Schedule, owed: datetime, now: datetime
    ) -> datetime | None:
        """The first fire owed after `owed`; older than the grace window: skipped, logged."""
        first = schedule.next_fire(owed)
        if first is not None and first < now - self.grace:
            log.warning(
                "Scheduler: %s missed fire(s) from %s, more than %s ago; skipped",
                job_id,
                first.isoformat(),
                self.grace,
            )
            first = schedule.next_fire(now - self.grace)
        return first

    async def _schedule(self, session: AsyncSession, reminder: Reminder) -> None:
        assert reminder.id is not None
        job_id = f"{REMINDER_JOB}{reminder.id}"
        try:
            schedule = schedule_of(reminder, self.holidays)
        except ScheduleError as exc:
            log.error("Scheduler: reminder %s has an unusable schedule: %s", reminder.id, exc)
            self._remove(job_id)
            return
        owed = owed_since(reminder, await last_fire_at(session, reminder.id))
        first = self._first_run(job_id, schedule, owed, self.clock())
        self._add(job_id, schedule, first, self._fire_reminder, reminder.id)

    def _add(
        self,
        job_id: str,
        schedule: Schedule,
        first: datetime | None,
        func: Callable[..., Awaitable[None]],
        *args: Any,
    ) -> None:
        if first is None:
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(job_id)
            return
        self.scheduler.add_job(
            func,
            trigger=ScheduleTrigger(schedule),
            args=args,
            id=job_id,
            name=job_id,
            replace_existing=True,
            next_run_time=first,
            misfire_grace_time=int(self.grace.total_seconds()),
            coalesce=True,
            max_instances=1,
        )

    async def _fire_reminder(self, reminder_id: int) -> None:
        render = await self.renderers.reminder()
        async with self.sessionmaker() as session:
            outcome = await fire_due(
                session,
                reminder_id,
                now=self.clock(),
                grace=self.grace,
                holidays=self.holidays,
                render=render,
            )
        if outcome.fire_id is not None:
            log.info(
                "Reminder %s fired (%s): %d recipient(s)",
                reminder_id,
                outcome.fire_at,
                outcome.recipients,
            )
            self.wake_sender()

    # Yearly offer and monthly reports: the same owed-fire logic, anchored on their fires.

    def _system_schedule(self, cron: str) -> Schedule:
        return Schedule(Kind.CRON, timezone=self.settings.bot_timezone, cron=cron)

    async def _last_of_kind(self, kind: FireKind) -> datetime | None:
        async with self.sessionmaker() as session:
            statement = select(func.max(ReminderFire.fire_at)).where(
                col(ReminderFire.kind) == kind.value
            )
            latest = (await session.exec(statement)).one()
        return aware(latest) if latest is not None else None

    async def _add_system_jobs(self) -> None:
        now = self.clock()
        jobs: list[tuple[str, str, FireKind, Callable[[], Awaitable[None]]]] = [
            (OFFER_JOB, campaigns.offer_cron(), FireKind.OFFER, self._offer)
        ]
        if self.settings.monthly_reports:
            jobs.append((REPORT_JOB, monthly_reports.REPORT_CRON, FireKind.REPORT, self._reports))
        for job_id, cron, kind, job in jobs:
            schedule = self._system_schedule(cron)
            owed = await self._last_of_kind(kind) or now - self.grace
            self._add(job_id, schedule, self._first_run(job_id, schedule, owed, now), job)
        purge = self._system_schedule(PURGE_CRON)
        self._add(PURGE_JOB, purge, purge.next_fire(now), self._purge)

    async def _owed(self, cron: str, kind: FireKind) -> datetime | None:
        now = self.clock()
        after = max(await self._last_of_kind(kind) or now - self.grace, now - self.grace)
        return self._system_schedule(cron).latest_due(after, now)

    async def _offer(self) -> None:
        due = await self._owed(campaigns.offer_cron(), FireKind.OFFER)
        if due is None:
            return
        year = due.astimezone(self.settings.timezone).year
        async with self.sessionmaker() as session:
            outcome = await reminder_campaign.send_offer(
                session, year=year, due=due, now=self.clock(), render=self.renderers.offer()
            )
        if outcome.fire_id is not None:
            log.info("19/8 series offered to %d trainer(s)", outcome.recipients)
            self.wake_sender()

    async def purge(self) -> privacy.PurgeResult:
        """Delete first contacts who never agreed and erase people kept past RETENTION_DAYS.
        Nothing is owed for a missed day: the next run removes the same rows."""
        async with self.sessionmaker() as session:
            key = await privacy.pseudonym_key(session, self.settings)
            result = await privacy.purge(
                session,
                now=self.clock(),
                retention_days=self.settings.retention_days,
                key=key,
                forget_state=self.forget_state or privacy.forget_nothing,
            )
        if result.first_contacts or result.erased:
            log.info(
                "Privacy purge: %d first contact(s) deleted, %d person(s) erased",
                result.first_contacts,
                result.erased,
            )
        return result

    async def _purge(self) -> None:
        await self.purge()

    async def _reports(self) -> None:
        due = await self._owed(monthly_reports.REPORT_CRON, FireKind.REPORT)
        if due is None:
            return
        async with self.sessionmaker() as session:
            served = await monthly_reports.send_monthly(
                session,
                due=due,
                now=self.clock(),
                zone=self.settings.timezone,
                render=self.renderers.report(),
            )
        if served:
            log.info("Monthly reports queued for %d unit(s)", served)
            self.wake_sender()


def attach_scheduler(dispatcher: Dispatcher) -> None:
    """Start the scheduler with the dispatcher and stop it after. `reminder_scheduler=False`
    among the dispatcher's services turns it off; `reminder_sync_interval` and
    `reminder_clock` tune it (tests)."""

    async def on_startup(bot: Bot, **data: Any) -> None:
        if data.get("reminder_scheduler") is False:
            return
        sessionmaker: async_sessionmaker[AsyncSession] = data["sessionmaker"]
        engine: AsyncEngine = sessionmaker.kw["bind"]

        def wake() -> None:
            sender = dispatcher.workflow_data.get("sender")
            if sender is not None:
                sender.wake()

        scheduler = ReminderScheduler(
            data["settings"],
            sessionmaker,
            renderers=Renderers(bot, dispatcher.workflow_data),
            lock=leader_lock_for(engine),
            clock=data.get("reminder_clock") or system_clock,
            sync_interval=data.get("reminder_sync_interval") or SYNC_INTERVAL,
            wake_sender=wake,
            forget_state=state_eraser(dispatcher.fsm.storage, bot.id),
        )
        dispatcher.workflow_data["reminder_scheduler"] = scheduler
        scheduler.start()

    async def on_shutdown(**data: Any) -> None:
        scheduler = dispatcher.workflow_data.get("reminder_scheduler")
        if isinstance(scheduler, ReminderScheduler):
            await scheduler.stop()
            dispatcher.workflow_data.pop("reminder_scheduler", None)

    dispatcher.startup.register(on_startup)
    dispatcher.shutdown.register(on_shutdown)
