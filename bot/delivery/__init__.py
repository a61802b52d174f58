"""Bulk delivery: a durable outbox and a rate-limited sender, shared by broadcasts, reminders
and reports.

Enqueue (in the caller's transaction; nothing is sent before the commit):

    from bot.delivery import outbox
    from bot.delivery.render import Button, Payload

    content_id = await outbox.add_content(
        session, source_kind="reminder", source_id=reminder.id,
        payload=Payload("<b>Nhắc lịch</b> …", buttons=((Button("✅", callback="rm1:…"),),)),
        language="vi",                   # one content per language; "" is the fallback
        ledger_kind="reminder_delivered",  # optional: logged per unit on success
    )
    await outbox.enqueue(
        session, source_kind="reminder", source_id=reminder.id,
        recipients=[outbox.Recipient(chat_id=u.id, user_id=u.id, language=u.language,
                                     unit_ids=(unit.id,))],
        contents={"vi": content_id},
        not_before=due_at,               # optional: the sender waits until then
    )
    await session.commit()
    sender.wake()                        # optional: claim now instead of within a second

A chat gets one message per (source_kind, source_id): enqueueing again is harmless.

Send: the running bot owns one `Sender` (reachable as `dispatcher["sender"]`; stopped with
the dispatcher; `broadcast_sender=False` among the dispatcher's services turns it off). It
sends only while its process holds the sender lock (`bot.delivery.leading`): one replica
sends, the others stand by. Elsewhere:

    sender = Sender.from_settings(bot, sessionmaker, settings)   # BROADCAST_RATE, …_PAID, …
    sender.start(); …; await sender.stop()
    Sender.from_settings(..., source=("broadcast", 42))          # only that source's rows

A one-off message outside the outbox can still respect the same pace:
`async with sender.limiter.slot(chat_id): await bot.send_message(...)`.

Read back: `outbox.counts(...)`, `outbox.unsettled(...)`, `outbox.rows_of(...)`,
`outbox.cancel(...)` (pending rows only).

Guarantees: one row is never sent by two senders; a restart resumes where it stopped; a send
in flight when a sender died is marked `uncertain` and never repeated (at most
`concurrency` rows per dead sender).
"""
