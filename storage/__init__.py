"""SQLite storage for fanbot: migrations, queries and the domain objects they return."""
