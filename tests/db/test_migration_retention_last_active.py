"""`fanlens db upgrade` fills `retention_cells.last_active` from the active periods a database
already holds: each follower counts once, in their latest period of their cohort's row."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fanlens.db import migrate

REVISION = "retention_last_active"

# Three followers' weekly and monthly periods (one on instagram), and the cells they make.
POPULATE = """
WITH ws AS (INSERT INTO workspaces (name) VALUES ('w') RETURNING id),
fans (n, platform, weeks) AS (VALUES (1, 'tiktok', ARRAY[0, 3, 9]), (2, 'tiktok', ARRAY[0, 1]),
                                     (3, 'instagram', ARRAY[2, 12, 13])),
acts AS (
    SELECT DISTINCT md5(f.n::text)::uuid AS follower_id, f.platform, g.grain,
           date_trunc(g.grain, date '2026-06-01' + 7 * w)::date AS period
    FROM fans f CROSS JOIN unnest(f.weeks) w CROSS JOIN (VALUES ('week'), ('month')) g (grain)),
periods AS (
    INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
    SELECT a.follower_id, a.grain, a.period, ws.id, a.platform FROM acts a, ws)
INSERT INTO retention_cells (workspace_id, platform, grain, cohort, period, followers)
SELECT ws.id, platform, grain, cohort, period, count(*)
FROM (SELECT platform, grain, period, min(period) OVER (PARTITION BY follower_id, grain) AS cohort
      FROM acts) a, ws
GROUP BY 1, 2, 3, 4, 5
"""


def test_the_upgrade_counts_each_follower_last_active_in_their_latest_period(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    parent = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION)
    migrate.upgrade(engine, str(parent.down_revision))
    with engine.begin() as conn:
        conn.execute(text(POPULATE))
    migrate.upgrade(engine, REVISION)
    with engine.connect() as conn:
        lasts = conn.execute(
            text(
                "SELECT platform, grain, cohort, period, last_active FROM retention_cells"
                " WHERE last_active > 0 ORDER BY 1, 2, 3, 4"
            )
        ).all()
        total = conn.scalar(text("SELECT sum(followers) FROM retention_cells"))
    engine.dispose()
    d = "2026-06-01"
    assert [(p, g, str(c), str(x), n) for p, g, c, x, n in lasts] == [
        ("instagram", "month", d, "2026-08-01", 1),
        ("instagram", "week", "2026-06-15", "2026-08-31", 1),
        ("tiktok", "month", d, "2026-06-01", 1),  # follower 2: June only
        ("tiktok", "month", d, "2026-08-01", 1),  # follower 1: June, August
        ("tiktok", "week", d, "2026-06-08", 1),
        ("tiktok", "week", d, "2026-08-03", 1),
    ]
    assert total == 8 + 5  # weekly periods, monthly periods
