"""Retention cells count, next to the followers active in a period, how many of them were last
active in it (`retention_cells.last_active`), so retention "on or after" reads the kept cells
alone; the retention functions of fanlens.db.sql keep it, and it is filled from the active
periods once here.

Created 2026-12-07.
"""

from alembic import op

from fanlens.db import sql

revision = "retention_last_active"
down_revision = "late_interactions_replay"

# One pass over follower_active_periods in the order of its unique key (follower, grain,
# period): each follower's earliest period is their cohort, their latest the one they were last
# active in. On 20 700 000 active periods (1 000 000 followers) about 1–2 minutes.
BACKFILL = """
UPDATE retention_cells c SET last_active = l.last_active
FROM (SELECT workspace_id, platform, grain, cohort, period,
             count(*) FILTER (WHERE period = latest) AS last_active
      FROM (SELECT workspace_id, platform, grain, period,
                   min(period) OVER w AS cohort, max(period) OVER w AS latest
            FROM follower_active_periods
            WINDOW w AS (PARTITION BY follower_id, workspace_id, grain)) a
      GROUP BY 1, 2, 3, 4, 5) l
WHERE c.workspace_id = l.workspace_id AND c.platform = l.platform AND c.grain = l.grain
  AND c.cohort = l.cohort AND c.period = l.period AND l.last_active > 0
"""


def upgrade() -> None:
    op.execute(
        "ALTER TABLE retention_cells"
        " ADD COLUMN IF NOT EXISTS last_active integer NOT NULL DEFAULT 0"
    )
    sql.apply(op.get_bind())
    op.execute(BACKFILL)


def downgrade() -> None:
    # The column stays: the functions of fanlens.db.sql (which other downgrades leave as they
    # are) write it, and an earlier revision's readers do not name it.
    pass
