"""The Telegram adapter (python-telegram-bot): every core command, inline mode, a notifier."""
