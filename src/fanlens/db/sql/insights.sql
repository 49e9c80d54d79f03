-- Insights rollups: each post's first-24-hour engagement (post_first_day_engagement) for best
-- time to post, and behaviour tier changes (tier_change_days) and tier spans (tier_hold_days)
-- per UTC day for tier movement, so the insights page reads a few thousand rows instead of
-- every post's first day of the log (about 5 s on the large world) or a window pass over every
-- tier change (about 3 s).

-- post_first_day_engagement: a row per post with a posted_at (its platform and posted_at
-- copied beside it, so best time to post reads this table alone), counting the exact-time
-- interactions stored for the post from its posted_at to 24 hours later (an observed time is
-- when fanlens saw the interaction, not when the fan acted, so it cannot say when the
-- engagement came). Inserted interactions add, deleted ones subtract, and an update moves a
-- row out under its old values and in under its new ones (a corrected time, an observed time
-- upgraded to exact, another post); the signed rows are summed per post without joining the
-- two transition tables (no statistics; a nested loop over large batches ran for minutes in
-- the score rollup). The post's row exists already (posts' triggers below), so the upsert
-- only updates, in key order: concurrent batches cannot deadlock here. Rows of a post or a
-- workspace being deleted are skipped (their row goes by the cascade, and a write naming them
-- would fail its foreign key).
CREATE OR REPLACE FUNCTION fanlens_first_day_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    signed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT n.*, 1 AS sign FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT o.*, -1 AS sign FROM old_rows o'
        ELSE 'SELECT o.*, -1 AS sign FROM old_rows o UNION ALL SELECT n.*, 1 FROM new_rows n'
    END;
BEGIN
    EXECUTE format($q$
    INSERT INTO post_first_day_engagement AS e (
        workspace_id, content_post_id, platform, posted_at, engagement)
    SELECT p.workspace_id, p.content_post_id, p.platform, p.posted_at, sum(x.sign)
    FROM (%s) x
    JOIN post_first_day_engagement p
      ON p.content_post_id = x.content_post_id AND p.workspace_id = x.workspace_id
    JOIN content_posts cp ON cp.id = p.content_post_id AND cp.workspace_id = p.workspace_id
    JOIN workspaces w ON w.id = p.workspace_id
    WHERE x.time_precision = 'exact'
      AND x.occurred_at >= p.posted_at AND x.occurred_at < p.posted_at + interval '24 hours'
    GROUP BY 1, 2, 3, 4
    HAVING sum(x.sign) <> 0
    ORDER BY 1, 2
    ON CONFLICT (content_post_id, workspace_id) DO UPDATE
        SET engagement = e.engagement + EXCLUDED.engagement
    $q$, signed);
    RETURN NULL;
END
$$;

-- Recount these posts' rows from the log (posts without a posted_at have none): the partial
-- index ix_follower_interactions_exact_content_post_id_occurred_at reads each post's window.
CREATE OR REPLACE FUNCTION fanlens_first_day_recount(p_post_ids uuid[], p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM post_first_day_engagement e
    WHERE (p_post_ids IS NULL OR e.content_post_id = ANY (p_post_ids))
      AND (p_workspace_id IS NULL OR e.workspace_id = p_workspace_id);
    INSERT INTO post_first_day_engagement (
        workspace_id, content_post_id, platform, posted_at, engagement)
    SELECT p.workspace_id, p.id, p.platform, p.posted_at, c.n
    FROM content_posts p
    CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM follower_interactions i
        WHERE i.content_post_id = p.id AND i.workspace_id = p.workspace_id
          AND i.time_precision = 'exact'
          AND i.occurred_at >= p.posted_at
          AND i.occurred_at < p.posted_at + interval '24 hours') c
    WHERE (p_post_ids IS NULL OR p.id = ANY (p_post_ids))
      AND (p_workspace_id IS NULL OR p.workspace_id = p_workspace_id)
      AND p.posted_at IS NOT NULL
    ORDER BY 1, 2;
END
$$;

-- Posts inserted, or whose posted_at or platform changed (set, corrected or cleared): recount
-- their rows. Posts are compared by set difference, not by joining the transition tables.
-- A deleted post's row goes by its foreign key.
CREATE OR REPLACE FUNCTION fanlens_first_day_post_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    moved uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id) INTO moved FROM new_rows n WHERE n.posted_at IS NOT NULL;
    ELSE
        EXECUTE $q$
        SELECT array_agg(d.id)
        FROM (SELECT n.id, n.workspace_id, n.platform, n.posted_at FROM new_rows n
              EXCEPT
              SELECT o.id, o.workspace_id, o.platform, o.posted_at FROM old_rows o) d
        $q$ INTO moved;
    END IF;
    IF moved IS NOT NULL THEN
        PERFORM fanlens_first_day_recount(moved, NULL);
    END IF;
    RETURN NULL;
END
$$;

-- tier_change_days: behaviour tier changes per UTC day, (from, to) pair and time precision,
-- moved by each changed row's sign as above. tier_hold_days: what the held followers of a
-- period need (see fanlens_tier_hold_lines). A follower's spans depend on their neighbouring
-- changes, so the touched followers' whole behaviour history is read twice, as it is now and
-- as it was before the statement (now, less the rows it wrote, plus the rows it removed), and
-- the difference of the two is added.
CREATE OR REPLACE FUNCTION fanlens_tier_days_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    signed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT n.*, 1 AS sign FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT o.*, -1 AS sign FROM old_rows o'
        ELSE 'SELECT o.*, -1 AS sign FROM old_rows o UNION ALL SELECT n.*, 1 FROM new_rows n'
    END;
    followers uuid[];
    workspaces uuid[];
    now_rows text := $q$
        SELECT c.* FROM follower_tier_changes c
        WHERE c.kind = 'behaviour' AND c.follower_id = ANY ($1) AND c.workspace_id = ANY ($2)$q$;
    before_rows text;
BEGIN
    EXECUTE format($q$
    INSERT INTO tier_change_days AS d (
        workspace_id, day, from_tier, to_tier, time_precision, changes)
    SELECT x.workspace_id, (x.changed_at AT TIME ZONE 'UTC')::date, x.from_tier, x.to_tier,
           x.time_precision, sum(x.sign)
    FROM (%s) x
    JOIN workspaces w ON w.id = x.workspace_id
    WHERE x.kind = 'behaviour'
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(x.sign) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, day, from_tier, to_tier, time_precision) DO UPDATE
        SET changes = d.changes + EXCLUDED.changes
    $q$, signed);

    EXECUTE format($q$
    SELECT array_agg(DISTINCT x.follower_id), array_agg(DISTINCT x.workspace_id)
    FROM (%s) x JOIN workspaces w ON w.id = x.workspace_id
    WHERE x.kind = 'behaviour'
    $q$, signed) INTO followers, workspaces;
    IF followers IS NULL THEN
        NULL;
    ELSIF TG_OP = 'DELETE' AND NOT EXISTS (
            SELECT 1 FROM follower_tier_changes c
            WHERE c.workspace_id = ANY (workspaces) AND c.kind = 'behaviour') THEN
        -- No behaviour history left (a workspace's replay deletes it all first): nothing holds.
        DELETE FROM tier_hold_days h WHERE h.workspace_id = ANY (workspaces);
    ELSE
        -- A kept rollup is empty exactly when its workspace had no behaviour history, so an
        -- insert into an empty one (the replay's second half) has no history before it to read.
        IF TG_OP = 'INSERT' AND NOT EXISTS (
                SELECT 1 FROM tier_hold_days h WHERE h.workspace_id = ANY (workspaces)) THEN
            before_rows := 'SELECT c.* FROM follower_tier_changes c WHERE false';
        ELSE
            before_rows := now_rows
                || CASE WHEN TG_OP <> 'DELETE' THEN $q$
                AND NOT EXISTS (SELECT 1 FROM new_rows n
                                WHERE n.id = c.id AND n.workspace_id = c.workspace_id)$q$
                   ELSE '' END
                || CASE WHEN TG_OP <> 'INSERT' THEN $q$
            UNION ALL
            SELECT o.* FROM old_rows o WHERE o.kind = 'behaviour'$q$ ELSE '' END;
        END IF;
        EXECUTE format($q$
        INSERT INTO tier_hold_days AS h (
            workspace_id, day, tier, entered, exited, exited_held_week, exited_held_month)
        SELECT l.workspace_id, l.day, l.tier, sum(l.entered), sum(l.exited),
               sum(l.exited_held_week), sum(l.exited_held_month)
        FROM (%s UNION ALL %s) l
        GROUP BY 1, 2, 3
        HAVING sum(l.entered) <> 0 OR sum(l.exited) <> 0 OR sum(l.exited_held_week) <> 0
            OR sum(l.exited_held_month) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, day, tier) DO UPDATE
            SET entered = h.entered + EXCLUDED.entered, exited = h.exited + EXCLUDED.exited,
                exited_held_week = h.exited_held_week + EXCLUDED.exited_held_week,
                exited_held_month = h.exited_held_month + EXCLUDED.exited_held_month
        $q$, fanlens_tier_hold_lines(now_rows, 1), fanlens_tier_hold_lines(before_rows, -1))
        USING followers, workspaces;
        DELETE FROM tier_hold_days h
        WHERE h.workspace_id = ANY (workspaces)
          AND h.entered = 0 AND h.exited = 0 AND h.exited_held_week = 0
          AND h.exited_held_month = 0;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM tier_change_days d
        USING (SELECT DISTINCT workspace_id FROM old_rows) w
        WHERE d.workspace_id = w.workspace_id AND d.changes = 0;
    END IF;
    RETURN NULL;
END
$$;

-- The tier_hold_days lines of a set of behaviour changes (a statement over
-- follower_tier_changes rows, whole histories of their followers), each line times p_sign.
-- A span is a change's to_tier from its time to the follower's next change (in time, then id
-- order, as the held followers were always counted): it enters its tier on the change's UTC
-- day and exits on the next change's. Held through a period [start, stop) are the spans begun
-- before start and not ended before stop: entered - exited summed over the days before start,
-- less the spans that exited inside the period having begun before it (`exited_held_week`,
-- `exited_held_month`: begun before the exit day's week or month).
CREATE OR REPLACE FUNCTION fanlens_tier_hold_lines(p_rows text, p_sign integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT format($q$
    SELECT s.workspace_id, s.day, t.tier, %2$s * t.entered AS entered, %2$s * t.exited AS exited,
           %2$s * t.held_week AS exited_held_week, %2$s * t.held_month AS exited_held_month
    FROM (SELECT r.workspace_id, r.to_tier,
                 (r.changed_at AT TIME ZONE 'UTC')::date AS day,
                 lag(r.to_tier) OVER w AS prev_tier,
                 (lag(r.changed_at) OVER w AT TIME ZONE 'UTC')::date AS prev_day
          FROM (%1$s) r
          WINDOW w AS (PARTITION BY r.workspace_id, r.follower_id ORDER BY r.changed_at, r.id)) s
    CROSS JOIN LATERAL (VALUES
        (s.to_tier, 1, 0, 0, 0),
        (s.prev_tier, 0, 1,
         (s.prev_day < date_trunc('week', s.day::timestamp)::date)::int,
         (s.prev_day < date_trunc('month', s.day::timestamp)::date)::int)
    ) AS t (tier, entered, exited, held_week, held_month)
    WHERE t.tier IS NOT NULL
    $q$, p_rows, p_sign)
$$;

-- Derive a workspace's insights rollups once from the log and the tier history (a migration's
-- backfill, a world built with its triggers off).
CREATE OR REPLACE FUNCTION fanlens_insights_rebuild_workspace(p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fanlens_first_day_recount(NULL, p_workspace_id);
    DELETE FROM tier_change_days WHERE workspace_id = p_workspace_id;
    INSERT INTO tier_change_days (workspace_id, day, from_tier, to_tier, time_precision, changes)
    SELECT workspace_id, (changed_at AT TIME ZONE 'UTC')::date, from_tier, to_tier,
           time_precision, count(*)
    FROM follower_tier_changes
    WHERE workspace_id = p_workspace_id AND kind = 'behaviour'
    GROUP BY 1, 2, 3, 4, 5;
    DELETE FROM tier_hold_days WHERE workspace_id = p_workspace_id;
    EXECUTE format($q$
    INSERT INTO tier_hold_days (
        workspace_id, day, tier, entered, exited, exited_held_week, exited_held_month)
    SELECT l.workspace_id, l.day, l.tier, sum(l.entered), sum(l.exited),
           sum(l.exited_held_week), sum(l.exited_held_month)
    FROM (%s) l
    GROUP BY 1, 2, 3
    $q$, fanlens_tier_hold_lines($q$
        SELECT c.* FROM follower_tier_changes c
        WHERE c.workspace_id = $1 AND c.kind = 'behaviour'$q$, 1))
    USING p_workspace_id;
END
$$;

CREATE OR REPLACE TRIGGER trg_follower_interactions_first_day_inserted
    AFTER INSERT ON follower_interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_first_day_changed();

CREATE OR REPLACE TRIGGER trg_follower_interactions_first_day_updated
    AFTER UPDATE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_first_day_changed();

CREATE OR REPLACE TRIGGER trg_follower_interactions_first_day_deleted
    AFTER DELETE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_first_day_changed();

CREATE OR REPLACE TRIGGER trg_content_posts_first_day_inserted AFTER INSERT ON content_posts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_first_day_post_moved();

CREATE OR REPLACE TRIGGER trg_content_posts_first_day_updated AFTER UPDATE ON content_posts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_first_day_post_moved();

CREATE OR REPLACE TRIGGER trg_tier_changes_days_inserted AFTER INSERT ON follower_tier_changes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_tier_days_changed();

CREATE OR REPLACE TRIGGER trg_tier_changes_days_updated AFTER UPDATE ON follower_tier_changes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_tier_days_changed();

CREATE OR REPLACE TRIGGER trg_tier_changes_days_deleted AFTER DELETE ON follower_tier_changes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_tier_days_changed();
