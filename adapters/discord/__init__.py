"""The Discord adapter (discord.py): slash commands from the declarations, embeds, a notifier."""
