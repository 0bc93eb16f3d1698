"""Privacy duties: the audit trail's admin page, a person's data export, erasure and retention."""
