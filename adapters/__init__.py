"""Platform adapters: where discord.py, python-telegram-bot and the terminal meet the core."""
