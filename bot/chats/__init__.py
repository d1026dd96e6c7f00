"""The chats fanbot is in: remembering them as platforms report them, and their language."""
