"""What `fanlens db status` reports."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from fanlens.db import migrate

COUNTED_TABLES = (
    "workspaces",
    "content_items",
    "content_posts",
    "content_tags",
    "followers",
    "follower_interactions",
    "follower_engagement_scores",
)


@dataclass
class DatabaseStatus:
    server_version: str
    revision: str | None
    head: str | None
    row_counts: dict[str, int]

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def read_status(engine: Engine) -> DatabaseStatus:
    revision = migrate.current_revision(engine)
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        if revision is not None:
            for table in COUNTED_TABLES:
                counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    return DatabaseStatus(version, revision, migrate.head_revision(), counts)


def ping(engine: Engine) -> None:
    """Raise unless the database answers a query (the health check)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
