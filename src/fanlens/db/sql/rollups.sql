-- Read rollups: followers and their interactions per platform and tier (follower_tier_counts),
-- and interactions per platform and UTC day (interaction_platform_days). The overview, the
-- followers page and the best-platform rule read these few rows instead of joining every
-- follower with their score (115 ms on the medium world) or summing the daily rollup's 200 000
-- rows of twelve weeks (270 ms).

-- follower_tier_counts: a follower without a score row counts as inactive, with no
-- interactions. New followers start there; score rows move them between tiers.
CREATE OR REPLACE FUNCTION fanlens_tier_counts_followers_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO follower_tier_counts AS t (workspace_id, platform, tier, followers, interactions)
    SELECT n.workspace_id, n.platform, 'inactive', count(*), 0
    FROM new_rows n GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (workspace_id, platform, tier) DO UPDATE
        SET followers = t.followers + EXCLUDED.followers;
    RETURN NULL;
END
$$;

-- A row trigger, before the delete: once the follower is gone their score row is gone too (a
-- cascade), and neither statement trigger could tell which platform and tier they counted in.
-- Nothing to do when the whole workspace is being deleted (its rows go by the cascade, and a
-- write naming the deleted workspace would fail its foreign key).
CREATE OR REPLACE FUNCTION fanlens_tier_counts_follower_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = OLD.workspace_id) THEN
        RETURN OLD;
    END IF;
    UPDATE follower_tier_counts t
    SET followers = t.followers - 1,
        interactions = t.interactions - coalesce(s.interaction_count, 0)
    FROM (SELECT 1) one
    LEFT JOIN follower_engagement_scores s
        ON s.follower_id = OLD.id AND s.workspace_id = OLD.workspace_id
    WHERE t.workspace_id = OLD.workspace_id AND t.platform = OLD.platform
      AND t.tier = coalesce(s.engagement_tier, 'inactive');
    RETURN OLD;
END
$$;

-- Score rows inserted, updated or deleted: each row leaves its old (tier, interactions) and
-- joins its new one (`moves`), and the moves are added up per platform and tier. Rows whose
-- follower is gone (the cascade of a follower delete) were counted out by the follower's own
-- trigger.
CREATE OR REPLACE FUNCTION fanlens_tier_counts_scores_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- After an update, old rows out and new rows in, summed per follower before their platform
    -- is looked up: an incremental rescore rewrites every touched follower's score row but moves
    -- few tiers, so a follower is looked up once, and not at all when their row changed neither
    -- tier nor count. No join of the two transition tables: they carry no statistics, and a
    -- nested loop over a rescore's 100 000 rows each way ran for minutes.
    -- A new score row moves its follower from the inactive tier (no interactions) to its own;
    -- a deleted one moves them back.
    moves text := CASE TG_OP
        WHEN 'UPDATE' THEN $q$
            SELECT x.follower_id, x.workspace_id, x.tier, sum(x.followers) AS followers,
                   sum(x.interactions) AS interactions
            FROM (SELECT o.follower_id, o.workspace_id, o.engagement_tier AS tier,
                         -1 AS followers, -o.interaction_count AS interactions
                  FROM old_rows o
                  UNION ALL
                  SELECT n.follower_id, n.workspace_id, n.engagement_tier, 1, n.interaction_count
                  FROM new_rows n) x
            GROUP BY 1, 2, 3
            HAVING sum(x.followers) <> 0 OR sum(x.interactions) <> 0$q$
        ELSE format($q$
            SELECT r.follower_id, r.workspace_id, x.tier, x.followers, x.interactions
            FROM %I r
            CROSS JOIN LATERAL (VALUES ('inactive', -%2$s, 0::bigint),
                                       (r.engagement_tier, %2$s, %2$s * r.interaction_count))
                AS x (tier, followers, interactions)$q$,
            CASE TG_OP WHEN 'INSERT' THEN 'new_rows' ELSE 'old_rows' END,
            CASE TG_OP WHEN 'INSERT' THEN '1' ELSE '(-1)' END)
    END;
BEGIN
    EXECUTE format($q$
    INSERT INTO follower_tier_counts AS t (workspace_id, platform, tier, followers, interactions)
    SELECT d.workspace_id, f.platform, d.tier, sum(d.followers), sum(d.interactions)
    FROM (%s) d
    JOIN followers f ON f.id = d.follower_id AND f.workspace_id = d.workspace_id
    GROUP BY 1, 2, 3
    HAVING sum(d.followers) <> 0 OR sum(d.interactions) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, platform, tier) DO UPDATE
        SET followers = t.followers + EXCLUDED.followers,
            interactions = t.interactions + EXCLUDED.interactions
    $q$, moves);
    -- A tier left empty holds no row, as in a workspace that never had it: a deleted
    -- interaction can empty the tier its follower leaves, and a first score the inactive tier.
    -- The next upsert into that tier brings its row back.
    EXECUTE format($q$
        DELETE FROM follower_tier_counts t
        USING (SELECT DISTINCT workspace_id FROM %I) w
        WHERE t.workspace_id = w.workspace_id AND t.followers = 0 AND t.interactions = 0$q$,
        CASE TG_OP WHEN 'INSERT' THEN 'new_rows' ELSE 'old_rows' END);
    RETURN NULL;
END
$$;

-- interaction_platform_days: the daily rollup (counts.sql) summed over content items and types,
-- its NULL (time unknown) day included, kept from that table's own changes (each changed row
-- moves its count by new - old).
CREATE OR REPLACE FUNCTION fanlens_platform_days_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO interaction_platform_days AS p (workspace_id, platform, day, interaction_count)
        SELECT n.workspace_id, n.platform, n.day, sum(n.interaction_count)
        FROM new_rows n GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, platform, day) DO UPDATE
            SET interaction_count = p.interaction_count + EXCLUDED.interaction_count;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO interaction_platform_days AS p (workspace_id, platform, day, interaction_count)
        SELECT x.workspace_id, x.platform, x.day, sum(x.delta)
        FROM (SELECT o.workspace_id, o.platform, o.day, -o.interaction_count AS delta
              FROM old_rows o
              UNION ALL
              SELECT n.workspace_id, n.platform, n.day, n.interaction_count FROM new_rows n) x
        GROUP BY 1, 2, 3 HAVING sum(x.delta) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, platform, day) DO UPDATE
            SET interaction_count = p.interaction_count + EXCLUDED.interaction_count;
    ELSE
        UPDATE interaction_platform_days p SET interaction_count = p.interaction_count - g.n
        FROM (SELECT workspace_id, platform, day, sum(interaction_count) AS n
              FROM old_rows GROUP BY 1, 2, 3) g
        JOIN workspaces w ON w.id = g.workspace_id  -- not one being deleted
        WHERE p.workspace_id = g.workspace_id AND p.platform = g.platform
          AND p.day IS NOT DISTINCT FROM g.day AND g.n <> 0;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        -- A day left without interactions holds no row (as interaction_daily_counts does): the
        -- weekly readers tell a week of 0 from a week without data by its rows.
        DELETE FROM interaction_platform_days p
        USING (SELECT DISTINCT workspace_id, platform, day FROM old_rows) g
        WHERE p.workspace_id = g.workspace_id AND p.platform = g.platform
          AND p.day IS NOT DISTINCT FROM g.day AND p.interaction_count = 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_followers_tier_counts_inserted AFTER INSERT ON followers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_tier_counts_followers_inserted();

CREATE OR REPLACE TRIGGER trg_followers_tier_counts_deleted BEFORE DELETE ON followers
    FOR EACH ROW EXECUTE FUNCTION fanlens_tier_counts_follower_deleted();

CREATE OR REPLACE TRIGGER trg_scores_tier_counts_inserted AFTER INSERT ON follower_engagement_scores
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_tier_counts_scores_changed();

CREATE OR REPLACE TRIGGER trg_scores_tier_counts_updated AFTER UPDATE ON follower_engagement_scores
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_tier_counts_scores_changed();

CREATE OR REPLACE TRIGGER trg_scores_tier_counts_deleted AFTER DELETE ON follower_engagement_scores
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_tier_counts_scores_changed();

CREATE OR REPLACE TRIGGER trg_daily_counts_platform_days_inserted
    AFTER INSERT ON interaction_daily_counts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_platform_days_changed();

CREATE OR REPLACE TRIGGER trg_daily_counts_platform_days_updated
    AFTER UPDATE ON interaction_daily_counts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_platform_days_changed();

CREATE OR REPLACE TRIGGER trg_daily_counts_platform_days_deleted
    AFTER DELETE ON interaction_daily_counts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_platform_days_changed();
