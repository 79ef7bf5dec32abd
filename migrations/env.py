"""Alembic environment: the URL comes from DATABASE_URL through the service's settings."""

from alembic import context
from sqlalchemy import create_engine

from shared.db.models import Base
from shared.settings import load_settings

config = context.config
url = config.attributes.get("database_url") or load_settings().sync_database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
