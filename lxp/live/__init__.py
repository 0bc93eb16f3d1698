"""Live sessions: scheduling, registration, waitlist, attendance, iCalendar."""
