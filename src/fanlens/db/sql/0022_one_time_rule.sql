-- One time rule (migration 0022): only interactions with the platform's own time (time_precision
-- = 'exact') stand for behaviour time. An 'observed' interaction carries the time fanlens saw it
-- (a sync or an export), so it counts toward scores and totals but never toward first/last seen,
-- per-day series or retention. The daily rollups keep such interactions in a bucket of their
-- own, day NULL ("time unknown"), so totals still add up.

-- New interactions: per-type counts as before (scores use them), first/last seen from exact rows.
CREATE OR REPLACE FUNCTION fanlens_interactions_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    SELECT array_agg(DISTINCT follower_id) INTO touched FROM new_rows;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM followers f WHERE f.id = ANY (touched) ORDER BY f.id FOR NO KEY UPDATE;

    INSERT INTO follower_interaction_counts AS c (
        follower_id, interaction_type, workspace_id, interaction_count,
        first_interaction_at, last_interaction_at)
    SELECT n.follower_id, n.interaction_type, min(n.workspace_id::text)::uuid, count(*),
           min(n.occurred_at), max(n.occurred_at)
    FROM new_rows n
    GROUP BY n.follower_id, n.interaction_type
    ORDER BY 1, 2
    ON CONFLICT (follower_id, interaction_type) DO UPDATE SET
        interaction_count = c.interaction_count + EXCLUDED.interaction_count,
        first_interaction_at = least(c.first_interaction_at, EXCLUDED.first_interaction_at),
        last_interaction_at = greatest(c.last_interaction_at, EXCLUDED.last_interaction_at);

    UPDATE followers f
    SET first_seen_at = least(f.first_seen_at, t.first_at),
        last_seen_at = greatest(f.last_seen_at, t.last_at)
    FROM (SELECT follower_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at
          FROM new_rows WHERE time_precision = 'exact' GROUP BY follower_id) t
    WHERE f.id = t.follower_id
      AND (f.first_seen_at IS NULL OR f.last_seen_at IS NULL
           OR t.first_at < f.first_seen_at OR t.last_at > f.last_seen_at);

    PERFORM fanlens_score_followers(touched, NULL);
    RETURN NULL;
END
$$;

-- Deleted or changed interactions: counts rebuilt as before; first/last seen read from the
-- follower's exact rows (the per-type counts mix in observed times).
CREATE OR REPLACE FUNCTION fanlens_interactions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.follower_id) INTO touched
        FROM old_rows o JOIN followers f ON f.id = o.follower_id;
    ELSE
        -- Only changes that move counts or times matter (not a content relink or a text edit).
        EXECUTE $q$
        SELECT array_agg(DISTINCT x.follower_id)
        FROM (SELECT o.follower_id, n.follower_id AS new_follower_id
              FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE (o.follower_id, o.interaction_type, o.occurred_at, o.time_precision)
                    IS DISTINCT FROM
                    (n.follower_id, n.interaction_type, n.occurred_at, n.time_precision)) d
        CROSS JOIN LATERAL (VALUES (d.follower_id), (d.new_follower_id)) AS x(follower_id)
        JOIN followers f ON f.id = x.follower_id
        $q$ INTO touched;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM followers f WHERE f.id = ANY (touched) ORDER BY f.id FOR NO KEY UPDATE;
    PERFORM fanlens_rebuild_counts(touched);
    UPDATE followers f
    SET first_seen_at = t.first_at, last_seen_at = t.last_at
    FROM (SELECT u.id, s.first_at, s.last_at
          FROM unnest(touched) AS u(id)
          CROSS JOIN LATERAL (
              SELECT min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
              FROM follower_interactions i
              WHERE i.follower_id = u.id AND i.time_precision = 'exact') s) t
    WHERE f.id = t.id
      AND (f.first_seen_at IS DISTINCT FROM t.first_at OR f.last_seen_at IS DISTINCT FROM t.last_at);
    PERFORM fanlens_score_followers(touched, NULL);
    RETURN NULL;
END
$$;

-- The day an interaction counts on: its UTC day when exact, NULL (time unknown) when observed.
CREATE OR REPLACE FUNCTION fanlens_interaction_day(p_occurred_at timestamptz, p_precision text)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_precision = 'exact' THEN (p_occurred_at AT TIME ZONE 'UTC')::date END
$$;

CREATE OR REPLACE FUNCTION fanlens_daily_counts_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO interaction_daily_counts AS d (
        workspace_id, content_id, platform, day, interaction_type, interaction_count)
    SELECT n.workspace_id, n.content_id, n.platform,
           fanlens_interaction_day(n.occurred_at, n.time_precision), n.interaction_type, count(*)
    FROM new_rows n
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5  -- a fixed lock order: concurrent batches cannot deadlock here
    ON CONFLICT (workspace_id, content_id, platform, day, interaction_type) DO UPDATE
        SET interaction_count = d.interaction_count + EXCLUDED.interaction_count;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION fanlens_daily_counts_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE interaction_daily_counts d SET interaction_count = d.interaction_count - g.n
    FROM (SELECT o.workspace_id, o.content_id, o.platform,
                 fanlens_interaction_day(o.occurred_at, o.time_precision) AS day,
                 o.interaction_type, count(*) AS n
          FROM old_rows o GROUP BY 1, 2, 3, 4, 5) g
    WHERE d.workspace_id = g.workspace_id AND d.content_id IS NOT DISTINCT FROM g.content_id
      AND d.platform = g.platform AND d.day IS NOT DISTINCT FROM g.day
      AND d.interaction_type = g.interaction_type;
    DELETE FROM interaction_daily_counts d
    USING (SELECT DISTINCT workspace_id FROM old_rows) w
    WHERE d.workspace_id = w.workspace_id AND d.interaction_count <= 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION fanlens_daily_counts_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
    UPDATE interaction_daily_counts d SET interaction_count = d.interaction_count - g.n
    FROM (SELECT o.workspace_id, o.content_id, o.platform,
                 fanlens_interaction_day(o.occurred_at, o.time_precision) AS day,
                 o.interaction_type, count(*) AS n
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE (o.workspace_id, o.content_id, o.platform, o.occurred_at, o.time_precision,
                 o.interaction_type)
                IS DISTINCT FROM
                (n.workspace_id, n.content_id, n.platform, n.occurred_at, n.time_precision,
                 n.interaction_type)
          GROUP BY 1, 2, 3, 4, 5) g
    WHERE d.workspace_id = g.workspace_id AND d.content_id IS NOT DISTINCT FROM g.content_id
      AND d.platform = g.platform AND d.day IS NOT DISTINCT FROM g.day
      AND d.interaction_type = g.interaction_type
    $q$;
    EXECUTE $q$
    INSERT INTO interaction_daily_counts AS d (
        workspace_id, content_id, platform, day, interaction_type, interaction_count)
    SELECT n.workspace_id, n.content_id, n.platform,
           fanlens_interaction_day(n.occurred_at, n.time_precision), n.interaction_type, count(*)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.workspace_id, o.content_id, o.platform, o.occurred_at, o.time_precision,
           o.interaction_type)
          IS DISTINCT FROM
          (n.workspace_id, n.content_id, n.platform, n.occurred_at, n.time_precision,
           n.interaction_type)
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, content_id, platform, day, interaction_type) DO UPDATE
        SET interaction_count = d.interaction_count + EXCLUDED.interaction_count
    $q$;
    DELETE FROM interaction_daily_counts d
    USING (SELECT DISTINCT workspace_id FROM old_rows) w
    WHERE d.workspace_id = w.workspace_id AND d.interaction_count <= 0;
    RETURN NULL;
END
$$;

-- interaction_platform_days follows the daily rollup, its NULL (time unknown) day included.
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
    RETURN NULL;
END
$$;

-- Retention: the periods a follower was active in come from exact rows only, so a follower
-- known only from observed interactions has no cohort, and a sync's observed rows do not make
-- anyone "return" in the sync week.
CREATE OR REPLACE FUNCTION fanlens_retention_rebuild(p_follower_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    SELECT fanlens_retention_apply(p_follower_ids, -1);
    DELETE FROM follower_active_periods WHERE follower_id = ANY (p_follower_ids);
    INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
    SELECT DISTINCT i.follower_id, g.grain,
           date_trunc(g.grain, i.occurred_at AT TIME ZONE 'UTC')::date,
           i.workspace_id, i.platform
    FROM follower_interactions i CROSS JOIN (VALUES ('week'), ('month')) g (grain)
    WHERE i.follower_id = ANY (p_follower_ids) AND i.time_precision = 'exact';
    SELECT fanlens_retention_apply(p_follower_ids, 1);
    DELETE FROM retention_cells WHERE followers = 0;
$$;

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
    INSERT INTO retention_cells (workspace_id, platform, grain, cohort, period, followers)
    SELECT p_workspace_id, a.platform, a.grain, a.cohort, a.period, count(*)
    FROM (SELECT platform, grain, period,
                 min(period) OVER (PARTITION BY follower_id, grain) AS cohort
          FROM follower_active_periods WHERE workspace_id = p_workspace_id) a
    GROUP BY 1, 2, 3, 4, 5;
$$;

CREATE OR REPLACE FUNCTION fanlens_retention_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    moved uuid[];
BEGIN
    SELECT array_agg(DISTINCT n.follower_id) INTO moved
    FROM (SELECT follower_id, g.grain,
                 min(date_trunc(g.grain, occurred_at AT TIME ZONE 'UTC')::date) AS first_period
          FROM new_rows CROSS JOIN (VALUES ('week'), ('month')) g (grain)
          WHERE time_precision = 'exact'
          GROUP BY 1, 2) n
    WHERE n.first_period < (SELECT min(a.period) FROM follower_active_periods a
                            WHERE a.follower_id = n.follower_id AND a.grain = n.grain);
    IF moved IS NOT NULL THEN
        PERFORM fanlens_retention_apply(moved, -1);
    END IF;
    moved := coalesce(moved, '{}');

    -- The CTE `known` reads the table as it was before this statement's INSERT.
    WITH fresh AS (
        SELECT DISTINCT n.follower_id, g.grain,
               date_trunc(g.grain, n.occurred_at AT TIME ZONE 'UTC')::date AS period,
               n.workspace_id, n.platform
        FROM new_rows n CROSS JOIN (VALUES ('week'), ('month')) g (grain)
        WHERE n.time_precision = 'exact'),
    -- MATERIALIZED: probed once per follower and grain. Inlined, the planner may put the probe
    -- inside a nested loop over `added` and run it once per pair of rows (quadratic).
    known AS MATERIALIZED (  -- one index probe per follower and grain, not a read of their history
        SELECT k.follower_id, k.grain,
               (SELECT min(a.period) FROM follower_active_periods a
                WHERE a.follower_id = k.follower_id AND a.grain = k.grain) AS cohort
        FROM (SELECT DISTINCT follower_id, grain FROM fresh) k
        WHERE k.follower_id <> ALL (moved)),
    added AS (
        INSERT INTO follower_active_periods (follower_id, grain, period, workspace_id, platform)
        SELECT * FROM fresh ORDER BY 1, 2, 3
        ON CONFLICT DO NOTHING
        RETURNING follower_id, grain, period, workspace_id, platform)
    INSERT INTO retention_cells AS c (workspace_id, platform, grain, cohort, period, followers)
    SELECT x.workspace_id, x.platform, x.grain, x.cohort, x.period, count(*)
    FROM (SELECT a.workspace_id, a.platform, a.grain, a.period,
                 coalesce(k.cohort, min(a.period) OVER (PARTITION BY a.follower_id, a.grain))
                     AS cohort
          FROM added a LEFT JOIN known k ON k.follower_id = a.follower_id AND k.grain = a.grain
          WHERE a.follower_id <> ALL (moved)) x
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, platform, grain, cohort, period)
    DO UPDATE SET followers = c.followers + EXCLUDED.followers;

    IF cardinality(moved) > 0 THEN
        PERFORM fanlens_retention_apply(moved, 1);
        DELETE FROM retention_cells WHERE followers = 0 AND workspace_id IN (
            SELECT DISTINCT workspace_id FROM new_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION fanlens_retention_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Only a change of follower, time, precision or platform moves periods (not a post
        -- relinked to another content item, which updates every interaction of the post); an
        -- interaction moved to another follower changes both.
        EXECUTE $q$
        SELECT array_agg(DISTINCT x.follower_id)
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN workspaces w ON w.id = n.workspace_id
        CROSS JOIN LATERAL (VALUES (o.follower_id), (n.follower_id)) AS x (follower_id)
        WHERE (o.follower_id, o.occurred_at, o.time_precision, o.platform, o.workspace_id)
              IS DISTINCT FROM
              (n.follower_id, n.occurred_at, n.time_precision, n.platform, n.workspace_id)
        $q$ INTO touched;
    ELSE
        SELECT array_agg(DISTINCT o.follower_id) INTO touched
        FROM old_rows o JOIN workspaces w ON w.id = o.workspace_id;
    END IF;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_retention_rebuild(touched);
    END IF;
    RETURN NULL;
END
$$;

-- What the database already holds, rebuilt under the rule.
UPDATE followers f
SET first_seen_at = t.first_at, last_seen_at = t.last_at
FROM (SELECT f2.id,
             min(i.occurred_at) FILTER (WHERE i.time_precision = 'exact') AS first_at,
             max(i.occurred_at) FILTER (WHERE i.time_precision = 'exact') AS last_at
      FROM followers f2 LEFT JOIN follower_interactions i ON i.follower_id = f2.id
      GROUP BY f2.id) t
WHERE f.id = t.id
  AND (f.first_seen_at IS DISTINCT FROM t.first_at OR f.last_seen_at IS DISTINCT FROM t.last_at);

DELETE FROM interaction_daily_counts;
DELETE FROM interaction_platform_days;
INSERT INTO interaction_daily_counts (
    workspace_id, content_id, platform, day, interaction_type, interaction_count)
SELECT workspace_id, content_id, platform, fanlens_interaction_day(occurred_at, time_precision),
       interaction_type, count(*)
FROM follower_interactions
GROUP BY 1, 2, 3, 4, 5;

SELECT fanlens_retention_rebuild_workspace(id) FROM workspaces;

-- A person's last interaction: their identities' last exact-time interaction (the scores' own
-- last time also counts observed ones, which carry the time a sync saw them).
CREATE OR REPLACE VIEW person_engagement AS
    SELECT pi.workspace_id, pi.person_id,
           count(*)::int AS identity_count,
           coalesce(sum(s.engagement_score), 0) AS engagement_score,
           coalesce(sum(s.interaction_count), 0)::bigint AS interaction_count,
           coalesce(sum(s.comment_count), 0)::bigint AS comment_count,
           max(f.follower_count) AS max_reach,
           max(f.last_seen_at) AS last_interaction_at
    FROM person_identities pi
    JOIN followers f ON f.id = pi.follower_id
    LEFT JOIN follower_engagement_scores s ON s.follower_id = pi.follower_id
    GROUP BY pi.workspace_id, pi.person_id;

-- The top followers' first and last interaction: exact times (followers' first/last seen).
CREATE OR REPLACE VIEW top_engaged_followers AS
SELECT f.workspace_id,
       f.id AS follower_id,
       f.username,
       f.display_name,
       f.platform,
       s.engagement_score,
       s.engagement_tier,
       s.comment_count,
       s.like_count,
       s.share_count,
       s.save_count,
       s.profile_visit_count,
       s.link_click_count,
       s.interaction_count,
       f.first_seen_at AS first_interaction_at,
       f.last_seen_at AS last_interaction_at
FROM follower_engagement_scores s
JOIN followers f ON f.id = s.follower_id
ORDER BY s.engagement_score DESC, f.id;
