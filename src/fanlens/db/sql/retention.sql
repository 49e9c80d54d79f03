-- Retention: the weeks and months each follower was active in (follower_active_periods), and
-- the retention matrix (retention_cells: followers per first-seen cohort and active period, and
-- how many of them were last active in that period), kept per batch. The periods come from exact-time interactions only, so a follower
-- known only from observed interactions has no cohort, and a sync's observed rows do not make
-- anyone "return" in the sync week.

-- Add (p_sign = 1) or remove (p_sign = -1) the given followers' whole contribution to the
-- matrix. A follower's cohort is their earliest active period, and they are last active in their
-- latest (one row per follower, grain and period, so that row's platform). Followers come as ids and their
-- workspaces in the same order (a pair per position); `= ANY` on the ids keeps the index.
CREATE OR REPLACE FUNCTION fanlens_retention_apply(
    p_follower_ids uuid[], p_workspace_ids uuid[], p_sign integer
) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO retention_cells AS c (
        workspace_id, platform, grain, cohort, period, followers, last_active)
    SELECT a.workspace_id, a.platform, a.grain, a.cohort, a.period, p_sign * count(*),
           p_sign * count(*) FILTER (WHERE a.period = a.latest)
    FROM (SELECT workspace_id, platform, grain, period,
                 min(period) OVER w AS cohort, max(period) OVER w AS latest
          FROM (SELECT DISTINCT * FROM unnest(p_follower_ids, p_workspace_ids)) u(id, ws)
          JOIN follower_active_periods p ON p.follower_id = u.id AND p.workspace_id = u.ws
          WINDOW w AS (PARTITION BY follower_id, workspace_id, grain)) a
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5  -- a fixed lock order, so concurrent batches cannot deadlock here
    ON CONFLICT (workspace_id, platform, grain, cohort, period)
    DO UPDATE SET followers = c.followers + EXCLUDED.followers,
                  last_active = c.last_active + EXCLUDED.last_active;
$$;

-- Rebuild the given followers' active periods from the log (after deletes and updates).
CREATE OR REPLACE FUNCTION fanlens_retention_rebuild(
    p_follower_ids uuid[], p_workspace_ids uuid[]
) RETURNS void
LANGUAGE sql AS $$
    SELECT fanlens_retention_apply(p_follower_ids, p_workspace_ids, -1);
    DELETE FROM follower_active_periods p
    USING unnest(p_follower_ids, p_workspace_ids) AS u(id, ws)
    WHERE p.follower_id = u.id AND p.workspace_id = u.ws;
    -- Joins with the pairs, not `= ANY (ids)` beside them: with thousands of ids (a bulk
    -- import's catch-up) that filter searched the whole array once per row.
    INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
    SELECT DISTINCT i.follower_id, g.grain,
           date_trunc(g.grain, i.occurred_at AT TIME ZONE 'UTC')::date,
           i.workspace_id, i.platform
    FROM (SELECT DISTINCT * FROM unnest(p_follower_ids, p_workspace_ids)) u(id, ws)
    JOIN follower_interactions i ON i.follower_id = u.id AND i.workspace_id = u.ws
    CROSS JOIN (VALUES ('week'), ('month')) g (grain)
    WHERE i.time_precision = 'exact';
    SELECT fanlens_retention_apply(p_follower_ids, p_workspace_ids, 1);
    DELETE FROM retention_cells
    WHERE followers = 0 AND workspace_id IN (SELECT DISTINCT unnest(p_workspace_ids));
$$;

-- A whole workspace at once, set-based (bulk loads that ran with the trigger off).
CREATE OR REPLACE FUNCTION fanlens_retention_rebuild_workspace(p_workspace_id uuid) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM retention_cells WHERE workspace_id = p_workspace_id;
    DELETE FROM follower_active_periods WHERE workspace_id = p_workspace_id;
    INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
    SELECT DISTINCT i.follower_id, g.grain,
           date_trunc(g.grain, i.occurred_at AT TIME ZONE 'UTC')::date,
           i.workspace_id, i.platform
    FROM follower_interactions i CROSS JOIN (VALUES ('week'), ('month')) g (grain)
    WHERE i.workspace_id = p_workspace_id AND i.time_precision = 'exact';
    INSERT INTO retention_cells (
        workspace_id, platform, grain, cohort, period, followers, last_active)
    SELECT p_workspace_id, a.platform, a.grain, a.cohort, a.period, count(*),
           count(*) FILTER (WHERE a.period = a.latest)
    FROM (SELECT platform, grain, period,
                 min(period) OVER w AS cohort, max(period) OVER w AS latest
          FROM follower_active_periods WHERE workspace_id = p_workspace_id
          WINDOW w AS (PARTITION BY follower_id, grain)) a
    GROUP BY 1, 2, 3, 4, 5;
$$;

-- New interactions cost what the batch holds: periods already recorded add nothing, a new
-- period adds one to its cell, and a new latest period moves the follower's last-active count
-- there from their previous latest. Only a follower whose cohort moves earlier (history back-filled
-- after newer activity) is recounted whole: removed, updated, added again.
CREATE OR REPLACE FUNCTION fanlens_retention_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    moved uuid[];  -- followers whose cohort moves, and their workspaces in the same order
    moved_ws uuid[];
BEGIN
    IF fanlens_upkeep_deferred() THEN  -- a bulk batch: its followers wait in upkeep_backlog
        RETURN NULL;
    END IF;
    SELECT array_agg(m.follower_id), array_agg(m.workspace_id) INTO moved, moved_ws
    FROM (SELECT DISTINCT n.follower_id, n.workspace_id
          FROM (SELECT workspace_id, follower_id, g.grain,
                       min(date_trunc(g.grain, occurred_at AT TIME ZONE 'UTC')::date)
                           AS first_period
                FROM new_rows CROSS JOIN (VALUES ('week'), ('month')) g (grain)
                WHERE time_precision = 'exact'
                GROUP BY 1, 2, 3) n
          WHERE n.first_period < (SELECT min(a.period) FROM follower_active_periods a
                                  WHERE a.follower_id = n.follower_id AND a.grain = n.grain
                                    AND a.workspace_id = n.workspace_id)) m;
    IF moved IS NOT NULL THEN
        PERFORM fanlens_retention_apply(moved, moved_ws, -1);
    END IF;
    moved := coalesce(moved, '{}');
    moved_ws := coalesce(moved_ws, '{}');

    -- The CTE `known` reads the table as it was before this statement's INSERT.
    WITH fresh AS (
        SELECT DISTINCT n.follower_id, g.grain,
               date_trunc(g.grain, n.occurred_at AT TIME ZONE 'UTC')::date AS period,
               n.workspace_id, n.platform
        FROM new_rows n CROSS JOIN (VALUES ('week'), ('month')) g (grain)
        WHERE n.time_precision = 'exact'),
    -- MATERIALIZED: probed once per follower and grain. Inlined, the planner may put the probe
    -- inside a nested loop over `added` and run it once per pair of rows (quadratic).
    -- Two index probes per follower and grain (earliest and latest), not a read of their history.
    known AS MATERIALIZED (
        SELECT k.follower_id, k.grain, k.workspace_id, lo.period AS cohort,
               hi.period AS latest, hi.platform AS latest_platform
        FROM (SELECT DISTINCT follower_id, grain, workspace_id FROM fresh) k
        LEFT JOIN LATERAL (
            SELECT a.period FROM follower_active_periods a
            WHERE a.follower_id = k.follower_id AND a.grain = k.grain
              AND a.workspace_id = k.workspace_id
            ORDER BY a.period LIMIT 1) lo ON true
        LEFT JOIN LATERAL (
            SELECT a.period, a.platform FROM follower_active_periods a
            WHERE a.follower_id = k.follower_id AND a.grain = k.grain
              AND a.workspace_id = k.workspace_id
            ORDER BY a.period DESC LIMIT 1) hi ON true
        WHERE (k.follower_id, k.workspace_id) NOT IN (SELECT * FROM unnest(moved, moved_ws))),
    added AS (
        INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
        SELECT * FROM fresh ORDER BY 1, 2, 3
        ON CONFLICT DO NOTHING
        RETURNING follower_id, grain, period, workspace_id, platform),
    -- The added periods are new, so the follower's latest is now the later of the latest known
    -- and the latest added (`top`).
    placed AS (
        SELECT a.follower_id, a.workspace_id, a.platform, a.grain, a.period,
               coalesce(k.cohort, min(a.period) OVER w) AS cohort,
               max(a.period) OVER w AS top, k.latest, k.latest_platform
        FROM added a
        LEFT JOIN known k ON k.follower_id = a.follower_id AND k.grain = a.grain
                         AND k.workspace_id = a.workspace_id
        WHERE (a.follower_id, a.workspace_id) NOT IN (SELECT * FROM unnest(moved, moved_ws))
        WINDOW w AS (PARTITION BY a.follower_id, a.workspace_id, a.grain)),
    deltas AS (
        SELECT workspace_id, platform, grain, cohort, period, 1 AS followers,
               CASE WHEN period = top AND (latest IS NULL OR top > latest) THEN 1 ELSE 0 END
                   AS last_active
        FROM placed
        UNION ALL  -- no longer last active in their previous latest period
        SELECT DISTINCT ON (follower_id, workspace_id, grain)
               workspace_id, latest_platform, grain, cohort, latest, 0, -1
        FROM placed WHERE top > latest)
    INSERT INTO retention_cells AS c (
        workspace_id, platform, grain, cohort, period, followers, last_active)
    SELECT workspace_id, platform, grain, cohort, period, sum(followers), sum(last_active)
    FROM deltas
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, platform, grain, cohort, period)
    DO UPDATE SET followers = c.followers + EXCLUDED.followers,
                  last_active = c.last_active + EXCLUDED.last_active;

    IF cardinality(moved) > 0 THEN
        PERFORM fanlens_retention_apply(moved, moved_ws, 1);
        DELETE FROM retention_cells WHERE followers = 0 AND workspace_id IN (
            SELECT DISTINCT workspace_id FROM new_rows);
    END IF;
    RETURN NULL;
END
$$;

-- Deletes and updates rebuild the touched followers, skipping interactions of a workspace being
-- deleted: its cells go by the cascade, and rewriting them would name the deleted workspace (a
-- foreign-key error when the workspace's rows were written in the same transaction).
CREATE OR REPLACE FUNCTION fanlens_retention_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];  -- the touched followers' ids, and their workspaces in the same order
    touched_ws uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Only a change of follower, time, precision or platform moves periods (not a post
        -- relinked to another content item, which updates every interaction of the post); an
        -- interaction moved to another follower changes both.
        EXECUTE $q$
        SELECT array_agg(t.follower_id), array_agg(t.workspace_id)
        FROM (SELECT DISTINCT x.follower_id, x.workspace_id
              FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.workspace_id = o.workspace_id
              CROSS JOIN LATERAL (VALUES (o.follower_id, o.workspace_id),
                                         (n.follower_id, n.workspace_id))
                  AS x (follower_id, workspace_id)
              JOIN workspaces w ON w.id = x.workspace_id
              WHERE (o.follower_id, o.occurred_at, o.time_precision, o.platform, o.workspace_id)
                    IS DISTINCT FROM
                    (n.follower_id, n.occurred_at, n.time_precision, n.platform, n.workspace_id)
             ) t
        $q$ INTO touched, touched_ws;
    ELSE
        SELECT array_agg(t.follower_id), array_agg(t.workspace_id) INTO touched, touched_ws
        FROM (SELECT DISTINCT o.follower_id, o.workspace_id
              FROM old_rows o JOIN workspaces w ON w.id = o.workspace_id) t;
    END IF;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_retention_rebuild(touched, touched_ws);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_follower_interactions_retention_inserted AFTER INSERT
    ON follower_interactions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_retention_inserted();

CREATE OR REPLACE TRIGGER trg_follower_interactions_retention_deleted AFTER DELETE
    ON follower_interactions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_retention_changed();

CREATE OR REPLACE TRIGGER trg_follower_interactions_retention_updated AFTER UPDATE
    ON follower_interactions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_retention_changed();
