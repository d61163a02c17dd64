"""The reminder job: one tick reads the clock once and lets the service send what is due."""

from __future__ import annotations

import logging

from bot.delivery.reminders import SLACK_POST_INTERVAL, TickReport, run_tick
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def tick(runtime: Runtime, *, pace: float = SLACK_POST_INTERVAL) -> TickReport:
    """Send the reminders due now; the service logs each item's failure and goes on."""
    report = run_tick(runtime, runtime.now(), pace=pace)
    if report.stopped:
        log.error("reminders stopped: %s", report.stopped)
    if report.sent or report.undeliverable or report.retry_later:
        log.info(
            "reminders: %d sent, %d undeliverable, %d to retry",
            len(report.sent),
            len(report.undeliverable),
            len(report.retry_later),
        )
    return report
