"""The read-only website and calendar feeds (aiohttp, Jinja2, icalendar)."""
