"""What bot admins do: add and fix facts with sources, see who changed what, undo."""
