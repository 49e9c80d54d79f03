-- fanlens scoring performance (migration 0008): a counts-only scoring statement for workspaces
-- without a recency rule, a full rescore that is one pass over the interaction log, and
-- interaction triggers that lock the touched followers first, in id order.

-- Each workspace's weights as rows, so scoring joins a handful of rows instead of reading jsonb
-- once per count row.
CREATE FUNCTION fanlens_scoring_weights(p_workspace_id uuid)
RETURNS TABLE (workspace_id uuid, interaction_type text, weight numeric)
LANGUAGE sql STABLE AS $$
    SELECT cfg.workspace_id, k.key, k.value::numeric
    FROM current_scoring_configs cfg
    CROSS JOIN LATERAL jsonb_each_text(cfg.weights) k
    WHERE p_workspace_id IS NULL OR cfg.workspace_id = p_workspace_id
$$;

-- Does any of these followers (or this workspace) score under a recency rule? Those need the
-- interaction log (fanlens_score_lines); everyone else is scored from the per-type counts alone.
CREATE FUNCTION fanlens_needs_recency(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM current_scoring_configs cfg
        WHERE cfg.recency_mode <> 'none'
          AND (p_workspace_id IS NULL OR cfg.workspace_id = p_workspace_id)
          AND (p_follower_ids IS NULL OR cfg.workspace_id IN (
                  SELECT f.workspace_id FROM followers f WHERE f.id = ANY (p_follower_ids))))
$$;

-- 0003's scoring statement, unchanged: per-type lines under the recency rule, read from the log.
CREATE FUNCTION fanlens_score_followers_from_lines(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
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

-- Score the given followers (or a whole workspace) under their workspace's current config, as
-- 0003 did, but with a statement of its own for the common case of no recency rule: the
-- recency sub-plans made every plan expensive even when no workspace used them.
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

    IF fanlens_needs_recency(p_follower_ids, p_workspace_id) THEN
        PERFORM fanlens_score_followers_from_lines(p_follower_ids, p_workspace_id);
        RETURN;
    END IF;

    WITH totals AS (
        SELECT c.follower_id, c.workspace_id,
               sum(c.interaction_count * coalesce(w.weight, 0)) AS score,
               coalesce(sum(c.interaction_count) FILTER (WHERE c.interaction_type = 'comment'), 0)::bigint AS comments,
               coalesce(sum(c.interaction_count) FILTER (WHERE c.interaction_type = 'like'), 0)::bigint AS likes,
               coalesce(sum(c.interaction_count) FILTER (WHERE c.interaction_type = 'share'), 0)::bigint AS shares,
               coalesce(sum(c.interaction_count) FILTER (WHERE c.interaction_type = 'save'), 0)::bigint AS saves,
               coalesce(sum(c.interaction_count) FILTER (WHERE c.interaction_type = 'profile_visit'), 0)::bigint AS visits,
               coalesce(sum(c.interaction_count) FILTER (WHERE c.interaction_type = 'link_click'), 0)::bigint AS clicks,
               sum(c.interaction_count)::bigint AS total,
               min(c.first_interaction_at) AS first_at,
               max(c.last_interaction_at) AS last_at
        FROM follower_interaction_counts c
        LEFT JOIN fanlens_scoring_weights(p_workspace_id) w
          ON w.workspace_id = c.workspace_id AND w.interaction_type = c.interaction_type
        WHERE (p_follower_ids IS NULL OR c.follower_id = ANY (p_follower_ids))
          AND (p_workspace_id IS NULL OR c.workspace_id = p_workspace_id)
        GROUP BY c.follower_id, c.workspace_id),
    scored AS (
        SELECT t.*, cfg.version AS config_version,
               fanlens_tier_for(t.score, cfg.super_fan_threshold, cfg.active_threshold,
                                cfg.lurker_threshold) AS tier
        FROM totals t JOIN current_scoring_configs cfg ON cfg.workspace_id = t.workspace_id),
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
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at)
    SELECT c.workspace_id, c.follower_id, c.old_tier, c.tier, c.score, c.config_version,
           clock_timestamp()  -- not now(): several batches in one transaction stay ordered
    FROM changed c
    WHERE c.old_tier IS DISTINCT FROM c.tier;
END
$$;

-- 0003's counts rebuild of one workspace (the log grouped per follower and type, writing only
-- the differences), for workspaces whose scores need the log anyway (a recency rule).
CREATE FUNCTION fanlens_rebuild_workspace_counts(p_workspace_id uuid) RETURNS bigint
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    inserted bigint;
BEGIN
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
    RETURN inserted;
END
$$;

-- Full rescore of a workspace without a recency rule, from the interaction log, as one
-- statement: the log is grouped once per follower and type (`fresh`); that one result is both
-- diffed into the per-type counts and totalled into the scores, so the log is read once and
-- the counts table is never read back. Only rows that differ are written, and tier changes
-- (including first scores and followers left without interactions) come from the same diff.
-- FULL JOINs can only be hash or merge joins, so the plan stays sound even when the
-- statistics still describe empty count and score tables (a backfill).
CREATE FUNCTION fanlens_rebuild_workspace(p_workspace_id uuid) RETURNS bigint
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan SET work_mem = '256MB' AS $$
DECLARE
    changes bigint;
BEGIN
    WITH fresh AS MATERIALIZED (
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
    counts_removed AS (
        DELETE FROM follower_interaction_counts c
        USING diff d
        WHERE d.n IS NULL AND c.follower_id = d.follower_id
          AND c.interaction_type = d.interaction_type),
    counts_updated AS (
        UPDATE follower_interaction_counts c
        SET interaction_count = d.n, first_interaction_at = d.first_at,
            last_interaction_at = d.last_at
        FROM diff d
        WHERE d.n IS NOT NULL AND NOT d.is_new AND c.follower_id = d.follower_id
          AND c.interaction_type = d.interaction_type),
    counts_added AS (
        INSERT INTO follower_interaction_counts (
            follower_id, interaction_type, workspace_id, interaction_count,
            first_interaction_at, last_interaction_at)
        SELECT d.follower_id, d.interaction_type, p_workspace_id, d.n, d.first_at, d.last_at
        FROM diff d WHERE d.is_new),
    cfg AS (
        SELECT * FROM current_scoring_configs WHERE workspace_id = p_workspace_id),
    totals AS (
        SELECT f.follower_id,
               sum(f.n * coalesce(w.weight, 0)) AS score,
               coalesce(sum(f.n) FILTER (WHERE f.interaction_type = 'comment'), 0)::bigint AS comments,
               coalesce(sum(f.n) FILTER (WHERE f.interaction_type = 'like'), 0)::bigint AS likes,
               coalesce(sum(f.n) FILTER (WHERE f.interaction_type = 'share'), 0)::bigint AS shares,
               coalesce(sum(f.n) FILTER (WHERE f.interaction_type = 'save'), 0)::bigint AS saves,
               coalesce(sum(f.n) FILTER (WHERE f.interaction_type = 'profile_visit'), 0)::bigint AS visits,
               coalesce(sum(f.n) FILTER (WHERE f.interaction_type = 'link_click'), 0)::bigint AS clicks,
               sum(f.n)::bigint AS total,
               min(f.first_at) AS first_at,
               max(f.last_at) AS last_at
        FROM fresh f
        LEFT JOIN fanlens_scoring_weights(p_workspace_id) w
          ON w.interaction_type = f.interaction_type
        GROUP BY f.follower_id),
    scored AS (
        SELECT t.*, cfg.version AS config_version,
               fanlens_tier_for(t.score, cfg.super_fan_threshold, cfg.active_threshold,
                                cfg.lurker_threshold) AS tier
        FROM totals t CROSS JOIN cfg),
    changed AS (
        -- New, changed and gone followers: `n` is NULL for a follower left without any
        -- interaction, `o` for a follower scored for the first time.
        SELECT coalesce(n.follower_id, o.follower_id) AS follower_id, n.follower_id AS new_id,
               n.score, n.tier, n.comments, n.likes, n.shares, n.saves, n.visits, n.clicks,
               n.total, n.first_at, n.last_at, o.engagement_tier AS old_tier
        FROM scored n
        FULL JOIN (SELECT * FROM follower_engagement_scores
                   WHERE workspace_id = p_workspace_id) o ON o.follower_id = n.follower_id
        WHERE (o.engagement_score, o.engagement_tier, o.config_version, o.interaction_count,
               o.comment_count, o.like_count, o.share_count, o.save_count,
               o.profile_visit_count, o.link_click_count,
               o.first_interaction_at, o.last_interaction_at)
              IS DISTINCT FROM
              (n.score, n.tier, n.config_version, n.total, n.comments, n.likes, n.shares,
               n.saves, n.visits, n.clicks, n.first_at, n.last_at)),
    scores_removed AS (
        DELETE FROM follower_engagement_scores s
        USING changed c
        WHERE c.new_id IS NULL AND s.follower_id = c.follower_id),
    scores_written AS (
        INSERT INTO follower_engagement_scores AS s (
            follower_id, workspace_id, engagement_score, engagement_tier,
            comment_count, like_count, share_count, save_count, profile_visit_count,
            link_click_count, other_count, interaction_count,
            first_interaction_at, last_interaction_at, config_version, computed_at)
        SELECT c.follower_id, p_workspace_id, c.score, c.tier,
               c.comments, c.likes, c.shares, c.saves, c.visits, c.clicks,
               c.total - (c.comments + c.likes + c.shares + c.saves + c.visits + c.clicks),
               c.total, c.first_at, c.last_at, cfg.version, now()
        FROM changed c CROSS JOIN cfg
        WHERE c.new_id IS NOT NULL
        ORDER BY c.follower_id
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
            computed_at = EXCLUDED.computed_at)
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at)
    SELECT p_workspace_id, c.follower_id, c.old_tier, coalesce(c.tier, 'inactive'),
           coalesce(c.score, 0), cfg.version, clock_timestamp()
    FROM changed c CROSS JOIN cfg
    WHERE c.old_tier IS DISTINCT FROM coalesce(c.tier, 'inactive');
    GET DIAGNOSTICS changes = ROW_COUNT;
    RETURN changes;
END
$$;

-- Full rescore of one workspace. Without a recency rule and with a rebuild, one pass over the
-- log does it all (fanlens_rebuild_workspace); a re-weigh (no rebuild) reads the counts only.
-- New interactions wait (SHARE lock): a batch committing meanwhile would otherwise be missed or
-- counted twice. After a rebuild that wrote many rows (a backfill), fresh statistics keep the
-- next plans on these tables sound.
CREATE OR REPLACE FUNCTION fanlens_rescore_workspace(p_workspace_id uuid, p_rebuild_counts boolean)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    written bigint := 0;
BEGIN
    LOCK TABLE follower_interactions IN SHARE MODE;
    IF p_rebuild_counts AND NOT fanlens_needs_recency(NULL, p_workspace_id) THEN
        written := fanlens_rebuild_workspace(p_workspace_id);
    ELSE
        IF p_rebuild_counts THEN
            written := fanlens_rebuild_workspace_counts(p_workspace_id);
        END IF;
        PERFORM fanlens_score_followers(NULL, p_workspace_id);
    END IF;
    IF written > 10000 THEN
        ANALYZE follower_interaction_counts;
        ANALYZE follower_engagement_scores;
    END IF;
END
$$;

-- New interactions. The touched followers are locked first, in id order, so concurrent batches
-- take turns on a shared follower instead of deadlocking (the first/last-seen UPDATE below
-- would otherwise lock them in whatever order its join produced), and so scoring sees the
-- other batch's committed counts. Then the per-type counts get the batch's delta, first/last
-- seen move, and the touched followers are rescored.
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
          FROM new_rows GROUP BY follower_id) t
    WHERE f.id = t.follower_id
      AND (f.first_seen_at IS NULL OR f.last_seen_at IS NULL
           OR t.first_at < f.first_seen_at OR t.last_at > f.last_seen_at);

    PERFORM fanlens_score_followers(touched, NULL);
    RETURN NULL;
END
$$;

-- Deleted or changed interactions (0001's trigger), with the same lock-first order as inserts.
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
    PERFORM 1 FROM followers f WHERE f.id = ANY (touched) ORDER BY f.id FOR NO KEY UPDATE;
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
    PERFORM fanlens_score_followers(touched, NULL);
    RETURN NULL;
END
$$;
