"""Storage: SQLAlchemy 2 (async) models, the repository, and Alembic migrations. Storage is the truth."""
