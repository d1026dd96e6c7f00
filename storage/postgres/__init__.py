"""The PostgreSQL engine: storage.backend's Database over psycopg 3 and its pool."""
