"""Reminders: what a day means for the artists a chat follows, posted once a day."""
