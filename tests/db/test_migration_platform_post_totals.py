"""`fanlens db upgrade` fills `platform_post_totals` from the posts a database already holds,
and the triggers keep it from then on."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db import migrate
from tests.db.test_content_totals import KEPT, RECOUNT

REVISION = "platform_post_totals"

# Two workspaces' posts: views reported or not, zero views, metrics missing.
POPULATE = """
WITH ws AS (INSERT INTO workspaces (name) VALUES ('a'), ('b') RETURNING id),
items AS (INSERT INTO content_items (workspace_id, slug)
          SELECT id, 'item' FROM ws RETURNING id, workspace_id)
INSERT INTO content_posts (workspace_id, content_id, platform, external_post_id, views, likes,
                           comments, shares, saves)
SELECT i.workspace_id, i.id, p.platform, p.post, p.views, p.likes, p.comments, NULL, p.saves
FROM items i
CROSS JOIN (VALUES ('tiktok', 't1', 100, 10, 2, NULL), ('tiktok', 't2', 0, 4, NULL, 1),
                   ('bluesky', 'b1', NULL, 3, 1, NULL), ('youtube', 'y1', 50, NULL, NULL, NULL))
    AS p (platform, post, views, likes, comments, saves)
"""


def test_the_upgrade_fills_the_totals_from_the_posts(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    with engine.begin() as conn:
        conn.execute(text(POPULATE))
    migrate.upgrade(engine, REVISION)
    with engine.begin() as conn:
        workspaces = (
            conn.execute(text("SELECT id FROM workspaces WHERE name IN ('a', 'b')")).scalars().all()
        )
        conn.execute(text("UPDATE content_posts SET views = 9 WHERE external_post_id = 'b1'"))
        for ws in workspaces:
            kept = {tuple(r) for r in conn.execute(text(KEPT), {"ws": ws})}
            assert kept == {tuple(r) for r in conn.execute(text(RECOUNT), {"ws": ws})}
            assert len(kept) == 3
    engine.dispose()
