"""The shared command core: declarations, parsing, name resolution, replies, permissions."""
