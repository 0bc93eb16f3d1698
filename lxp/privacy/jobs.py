"""Scheduler entry point (see ``lxp.scheduler``)."""

import logging

from lxp.privacy import retention

log = logging.getLogger("lxp.privacy")


def apply_retention() -> None:
    report = retention.run_all()
    if report.warned or report.erased or report.events_deleted:
        log.info("retention: %s", report.summary())
