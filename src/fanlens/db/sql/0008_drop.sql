-- Undo migration 0008: drop its functions and restore the definitions it replaced (0001's
-- interaction triggers, 0003's scoring and full rescore).
DROP FUNCTION IF EXISTS fanlens_rebuild_workspace(uuid),
    fanlens_rebuild_workspace_counts(uuid),
    fanlens_score_followers_from_lines(uuid[], uuid),
    fanlens_needs_recency(uuid[], uuid),
    fanlens_scoring_weights(uuid);

CREATE OR REPLACE FUNCTION fanlens_interactions_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    INSERT INTO follower_interaction_counts AS c (
        follower_id, interaction_type, workspace_id, interaction_count,
        first_interaction_at, last_interaction_at)
    SELECT n.follower_id, n.interaction_type, min(n.workspace_id::text)::uuid, count(*),
           min(n.occurred_at), max(n.occurred_at)
    FROM new_rows n
    GROUP BY n.follower_id, n.interaction_type
    ORDER BY 1, 2  -- a fixed lock order, so concurrent batches cannot deadlock here
    ON CONFLICT (follower_id, interaction_type) DO UPDATE SET
        interaction_count = c.interaction_count + EXCLUDED.interaction_count,
        first_interaction_at = least(c.first_interaction_at, EXCLUDED.first_interaction_at),
        last_interaction_at = greatest(c.last_interaction_at, EXCLUDED.last_interaction_at);

    UPDATE followers f
    SET first_seen_at = least(f.first_seen_at, t.first_at),
        last_seen_at = greatest(f.last_seen_at, t.last_at)
    FROM (SELECT follower_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at
          FROM new_rows GROUP BY follower_id) t
    WHERE f.id = t.follower_id
      AND (f.first_seen_at IS NULL OR f.last_seen_at IS NULL
           OR t.first_at < f.first_seen_at OR t.last_at > f.last_seen_at);

    SELECT array_agg(DISTINCT follower_id) INTO touched FROM new_rows;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_refresh_scores(touched);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION fanlens_interactions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.follower_id) INTO touched
        FROM old_rows o JOIN followers f ON f.id = o.follower_id;
    ELSE
        -- Only changes that move counts matter (not, say, a content relink or a text edit).
        SELECT array_agg(DISTINCT x.follower_id) INTO touched
        FROM (SELECT o.follower_id, n.follower_id AS new_follower_id
              FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE (o.follower_id, o.interaction_type, o.occurred_at)
                    IS DISTINCT FROM (n.follower_id, n.interaction_type, n.occurred_at)) d
        CROSS JOIN LATERAL (VALUES (d.follower_id), (d.new_follower_id)) AS x(follower_id)
        JOIN followers f ON f.id = x.follower_id;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM fanlens_rebuild_counts(touched);
    UPDATE followers f
    SET first_seen_at = t.first_at, last_seen_at = t.last_at
    FROM (SELECT u.id,
                 (SELECT min(c.first_interaction_at) FROM follower_interaction_counts c
                  WHERE c.follower_id = u.id) AS first_at,
                 (SELECT max(c.last_interaction_at) FROM follower_interaction_counts c
                  WHERE c.follower_id = u.id) AS last_at
          FROM unnest(touched) AS u(id)) t
    WHERE f.id = t.id
      AND (f.first_seen_at IS DISTINCT FROM t.first_at OR f.last_seen_at IS DISTINCT FROM t.last_at);
    PERFORM fanlens_refresh_scores(touched);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION fanlens_score_followers(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    WITH gone AS (
        DELETE FROM follower_engagement_scores s
        WHERE (p_follower_ids IS NULL OR s.follower_id = ANY (p_follower_ids))
          AND (p_workspace_id IS NULL OR s.workspace_id = p_workspace_id)
          AND NOT EXISTS (SELECT 1 FROM follower_interaction_counts c
                          WHERE c.follower_id = s.follower_id)
        RETURNING s.follower_id, s.workspace_id, s.engagement_tier)
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at)
    SELECT g.workspace_id, g.follower_id, g.engagement_tier, 'inactive', 0, cfg.version,
           clock_timestamp()
    FROM gone g JOIN current_scoring_configs cfg ON cfg.workspace_id = g.workspace_id
    WHERE g.engagement_tier <> 'inactive';

    -- The thresholds ride along in the grouping rather than a second join to the configs: that
    -- join made the planner expect a handful of rows and compare every score with every score.
    WITH totals AS (
        SELECT l.follower_id, l.workspace_id, l.config_version,
               l.super_fan_threshold, l.active_threshold, l.lurker_threshold,
               sum(l.points) AS score,
               coalesce(sum(l.interaction_count) FILTER (WHERE l.interaction_type = 'comment'), 0)::bigint AS comments,
               coalesce(sum(l.interaction_count) FILTER (WHERE l.interaction_type = 'like'), 0)::bigint AS likes,
               coalesce(sum(l.interaction_count) FILTER (WHERE l.interaction_type = 'share'), 0)::bigint AS shares,
               coalesce(sum(l.interaction_count) FILTER (WHERE l.interaction_type = 'save'), 0)::bigint AS saves,
               coalesce(sum(l.interaction_count) FILTER (WHERE l.interaction_type = 'profile_visit'), 0)::bigint AS visits,
               coalesce(sum(l.interaction_count) FILTER (WHERE l.interaction_type = 'link_click'), 0)::bigint AS clicks,
               sum(l.interaction_count)::bigint AS total,
               min(l.first_interaction_at) AS first_at,
               max(l.last_interaction_at) AS last_at
        FROM fanlens_score_lines(p_follower_ids, p_workspace_id) l
        GROUP BY l.follower_id, l.workspace_id, l.config_version,
                 l.super_fan_threshold, l.active_threshold, l.lurker_threshold),
    scored AS (
        SELECT t.*, fanlens_tier_for(t.score, t.super_fan_threshold, t.active_threshold,
                                     t.lurker_threshold) AS tier
        FROM totals t),
    changed AS (
        -- Compare before writing: a nightly rescore of an unchanged workspace writes nothing.
        SELECT n.*, o.engagement_tier AS old_tier
        FROM scored n
        LEFT JOIN follower_engagement_scores o ON o.follower_id = n.follower_id
        WHERE o.follower_id IS NULL
           OR (o.engagement_score, o.engagement_tier, o.config_version, o.interaction_count,
               o.comment_count, o.like_count, o.share_count, o.save_count,
               o.profile_visit_count, o.link_click_count,
               o.first_interaction_at, o.last_interaction_at)
              IS DISTINCT FROM
              (n.score, n.tier, n.config_version, n.total, n.comments, n.likes, n.shares,
               n.saves, n.visits, n.clicks, n.first_at, n.last_at)),
    written AS (
        INSERT INTO follower_engagement_scores AS s (
            follower_id, workspace_id, engagement_score, engagement_tier,
            comment_count, like_count, share_count, save_count, profile_visit_count,
            link_click_count, other_count, interaction_count,
            first_interaction_at, last_interaction_at, config_version, computed_at)
        SELECT c.follower_id, c.workspace_id, c.score, c.tier,
               c.comments, c.likes, c.shares, c.saves, c.visits, c.clicks,
               c.total - (c.comments + c.likes + c.shares + c.saves + c.visits + c.clicks),
               c.total, c.first_at, c.last_at, c.config_version, now()
        FROM changed c
        ORDER BY c.follower_id  -- a fixed lock order for concurrent batches
        ON CONFLICT (follower_id) DO UPDATE SET
            engagement_score = EXCLUDED.engagement_score,
            engagement_tier = EXCLUDED.engagement_tier,
            comment_count = EXCLUDED.comment_count,
            like_count = EXCLUDED.like_count,
            share_count = EXCLUDED.share_count,
            save_count = EXCLUDED.save_count,
            profile_visit_count = EXCLUDED.profile_visit_count,
            link_click_count = EXCLUDED.link_click_count,
            other_count = EXCLUDED.other_count,
            interaction_count = EXCLUDED.interaction_count,
            first_interaction_at = EXCLUDED.first_interaction_at,
            last_interaction_at = EXCLUDED.last_interaction_at,
            config_version = EXCLUDED.config_version,
            computed_at = EXCLUDED.computed_at
        RETURNING s.follower_id)
    -- Every changed row is written (the upsert has no WHERE), so history reads `changed`
    -- directly; `written` still runs, as data-modifying CTEs always do.
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at)
    SELECT c.workspace_id, c.follower_id, c.old_tier, c.tier, c.score, c.config_version,
           clock_timestamp()  -- not now(): several batches in one transaction stay ordered
    FROM changed c
    WHERE c.old_tier IS DISTINCT FROM c.tier;
END
$$;

CREATE OR REPLACE FUNCTION fanlens_rescore_workspace(p_workspace_id uuid, p_rebuild_counts boolean)
RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    inserted bigint;
BEGIN
    LOCK TABLE follower_interactions IN SHARE MODE;
    IF p_rebuild_counts THEN
        WITH fresh AS (
            SELECT i.follower_id, i.interaction_type, count(*) AS n,
                   min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
            FROM follower_interactions i
            WHERE i.workspace_id = p_workspace_id
            GROUP BY i.follower_id, i.interaction_type),
        diff AS (
            SELECT coalesce(f.follower_id, c.follower_id) AS follower_id,
                   coalesce(f.interaction_type, c.interaction_type) AS interaction_type,
                   f.n, f.first_at, f.last_at, c.follower_id IS NULL AS is_new
            FROM fresh f
            FULL JOIN (SELECT * FROM follower_interaction_counts
                       WHERE workspace_id = p_workspace_id) c
              ON c.follower_id = f.follower_id AND c.interaction_type = f.interaction_type
            WHERE (f.n, f.first_at, f.last_at) IS DISTINCT FROM
                  (c.interaction_count, c.first_interaction_at, c.last_interaction_at)),
        removed AS (
            DELETE FROM follower_interaction_counts c
            USING diff d
            WHERE d.n IS NULL AND c.follower_id = d.follower_id
              AND c.interaction_type = d.interaction_type),
        updated AS (
            UPDATE follower_interaction_counts c
            SET interaction_count = d.n, first_interaction_at = d.first_at,
                last_interaction_at = d.last_at
            FROM diff d
            WHERE d.n IS NOT NULL AND NOT d.is_new AND c.follower_id = d.follower_id
              AND c.interaction_type = d.interaction_type)
        INSERT INTO follower_interaction_counts (
            follower_id, interaction_type, workspace_id, interaction_count,
            first_interaction_at, last_interaction_at)
        SELECT d.follower_id, d.interaction_type, p_workspace_id, d.n, d.first_at, d.last_at
        FROM diff d WHERE d.is_new;
        GET DIAGNOSTICS inserted = ROW_COUNT;
        -- A backfill fills the counts from nothing: statistics that still say "empty" would
        -- plan the scoring below as nested loops.
        IF inserted > 10000 THEN
            ANALYZE follower_interaction_counts;
        END IF;
    END IF;
    PERFORM fanlens_score_followers(NULL, p_workspace_id);
END
$$;
