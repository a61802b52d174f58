"""Storage: SQLModel tables, async engine and sessions, queries, Alembic migrations."""
