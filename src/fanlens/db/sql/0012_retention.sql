-- Retention (migration 0012): the weeks and months each follower was active in, and the
-- bounded retention matrix (followers per first-seen cohort and active period), kept per batch.

-- Add (p_sign = 1) or remove (p_sign = -1) the given followers' whole contribution to the
-- matrix. A follower's cohort is their earliest active period, so a back-filled interaction
-- that moves the cohort is handled by removing, updating the periods, and adding again.
CREATE FUNCTION fanlens_retention_apply(p_follower_ids uuid[], p_sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO retention_cells AS c (workspace_id, platform, grain, cohort, period, followers)
    SELECT a.workspace_id, a.platform, a.grain, m.cohort, a.period, p_sign * count(*)
    FROM follower_active_periods a
    JOIN (SELECT follower_id, grain, min(period) AS cohort FROM follower_active_periods
          WHERE follower_id = ANY (p_follower_ids) GROUP BY follower_id, grain) m
      ON m.follower_id = a.follower_id AND m.grain = a.grain
    WHERE a.follower_id = ANY (p_follower_ids)
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5  -- a fixed lock order, so concurrent batches cannot deadlock here
    ON CONFLICT (workspace_id, platform, grain, cohort, period)
    DO UPDATE SET followers = c.followers + EXCLUDED.followers;
$$;

-- Rebuild the given followers' active periods from the log (after deletes and updates).
CREATE FUNCTION fanlens_retention_rebuild(p_follower_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    SELECT fanlens_retention_apply(p_follower_ids, -1);
    DELETE FROM follower_active_periods WHERE follower_id = ANY (p_follower_ids);
    INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
    SELECT DISTINCT i.follower_id, g.grain,
           date_trunc(g.grain, i.occurred_at AT TIME ZONE 'UTC')::date,
           i.workspace_id, i.platform
    FROM follower_interactions i CROSS JOIN (VALUES ('week'), ('month')) g (grain)
    WHERE i.follower_id = ANY (p_follower_ids);
    SELECT fanlens_retention_apply(p_follower_ids, 1);
    DELETE FROM retention_cells WHERE followers = 0;
$$;

-- A whole workspace at once, set-based (bulk loads that ran with the triggers off).
CREATE FUNCTION fanlens_retention_rebuild_workspace(p_workspace_id uuid) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM retention_cells WHERE workspace_id = p_workspace_id;
    DELETE FROM follower_active_periods WHERE workspace_id = p_workspace_id;
    INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
    SELECT DISTINCT i.follower_id, g.grain,
           date_trunc(g.grain, i.occurred_at AT TIME ZONE 'UTC')::date,
           i.workspace_id, i.platform
    FROM follower_interactions i CROSS JOIN (VALUES ('week'), ('month')) g (grain)
    WHERE i.workspace_id = p_workspace_id;
    INSERT INTO retention_cells (workspace_id, platform, grain, cohort, period, followers)
    SELECT a.workspace_id, a.platform, a.grain, m.cohort, a.period, count(*)
    FROM follower_active_periods a
    JOIN (SELECT follower_id, grain, min(period) AS cohort FROM follower_active_periods
          WHERE workspace_id = p_workspace_id GROUP BY follower_id, grain) m
      ON m.follower_id = a.follower_id AND m.grain = a.grain
    WHERE a.workspace_id = p_workspace_id
    GROUP BY 1, 2, 3, 4, 5;
$$;

-- New interactions: only followers with a period not seen before change the matrix; most
-- batches of an active account add to periods already recorded and cost one lookup per row.
CREATE FUNCTION fanlens_retention_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    SELECT array_agg(DISTINCT n.follower_id) INTO touched
    FROM (SELECT DISTINCT n.follower_id, g.grain,
                 date_trunc(g.grain, n.occurred_at AT TIME ZONE 'UTC')::date AS period
          FROM new_rows n CROSS JOIN (VALUES ('week'), ('month')) g (grain)) n
    WHERE NOT EXISTS (
        SELECT 1 FROM follower_active_periods a
        WHERE a.follower_id = n.follower_id AND a.grain = n.grain AND a.period = n.period);
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM fanlens_retention_apply(touched, -1);
    INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
    SELECT DISTINCT n.follower_id, g.grain,
           date_trunc(g.grain, n.occurred_at AT TIME ZONE 'UTC')::date,
           n.workspace_id, n.platform
    FROM new_rows n CROSS JOIN (VALUES ('week'), ('month')) g (grain)
    WHERE n.follower_id = ANY (touched)
    ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    PERFORM fanlens_retention_apply(touched, 1);
    DELETE FROM retention_cells WHERE followers = 0 AND workspace_id IN (
        SELECT DISTINCT workspace_id FROM new_rows);
    RETURN NULL;
END
$$;

CREATE FUNCTION fanlens_retention_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN  -- an interaction moved to another follower changes both
        SELECT array_agg(DISTINCT t.follower_id) INTO touched
        FROM (SELECT follower_id FROM old_rows UNION SELECT follower_id FROM new_rows) t;
    ELSE
        SELECT array_agg(DISTINCT follower_id) INTO touched FROM old_rows;
    END IF;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_retention_rebuild(touched);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_follower_interactions_retention_inserted AFTER INSERT
    ON follower_interactions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_retention_inserted();
CREATE TRIGGER trg_follower_interactions_retention_deleted AFTER DELETE
    ON follower_interactions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_retention_changed();
CREATE TRIGGER trg_follower_interactions_retention_updated AFTER UPDATE
    ON follower_interactions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_retention_changed();
