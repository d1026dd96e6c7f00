"""What fans ask: milestones, releases, status, search, birthdays, the calendar."""
