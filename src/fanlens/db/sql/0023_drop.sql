-- The bodies 0023 replaced, and its functions dropped.

CREATE OR REPLACE FUNCTION fanlens_rescore_workspace(p_workspace_id uuid, p_rebuild_counts boolean)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    written bigint := 0;
    drifted uuid[];
BEGIN
    LOCK TABLE follower_interactions IN SHARE MODE;
    IF p_rebuild_counts AND NOT fanlens_needs_recency(NULL, p_workspace_id) THEN
        drifted := fanlens_score_drift(p_workspace_id);
        IF cardinality(drifted) > 10000 THEN
            written := fanlens_rebuild_workspace(p_workspace_id);
        ELSIF cardinality(drifted) > 0 THEN
            PERFORM fanlens_rebuild_counts(drifted);
            PERFORM fanlens_score_followers(drifted, NULL);
        END IF;
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

CREATE OR REPLACE FUNCTION fanlens_score_followers(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF fanlens_needs_recency(p_follower_ids, p_workspace_id) THEN
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
    old AS (
        SELECT * FROM follower_engagement_scores s
        WHERE (p_follower_ids IS NULL OR s.follower_id = ANY (p_follower_ids))
          AND (p_workspace_id IS NULL OR s.workspace_id = p_workspace_id)),
    changed AS (
        -- Compare before writing: a nightly rescore of an unchanged workspace writes nothing.
        -- `n` is NULL for a follower left without interactions, `o` for a first score.
        SELECT coalesce(n.follower_id, o.follower_id) AS follower_id,
               coalesce(n.workspace_id, o.workspace_id) AS workspace_id,
               n.follower_id AS new_id, n.score, n.tier, n.config_version, n.comments, n.likes,
               n.shares, n.saves, n.visits, n.clicks, n.total, n.first_at, n.last_at,
               o.engagement_tier AS old_tier
        FROM scored n
        FULL JOIN old o ON o.follower_id = n.follower_id
        WHERE (o.engagement_score, o.engagement_tier, o.config_version, o.interaction_count,
               o.comment_count, o.like_count, o.share_count, o.save_count,
               o.profile_visit_count, o.link_click_count,
               o.first_interaction_at, o.last_interaction_at)
              IS DISTINCT FROM
              (n.score, n.tier, n.config_version, n.total, n.comments, n.likes, n.shares,
               n.saves, n.visits, n.clicks, n.first_at, n.last_at)),
    removed AS (
        DELETE FROM follower_engagement_scores s
        USING changed c
        WHERE c.new_id IS NULL AND s.follower_id = c.follower_id),
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
        WHERE c.new_id IS NOT NULL
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
            computed_at = EXCLUDED.computed_at)
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at)
    SELECT c.workspace_id, c.follower_id, c.old_tier, coalesce(c.tier, 'inactive'),
           coalesce(c.score, 0),
           coalesce(c.config_version, (SELECT cfg.version FROM current_scoring_configs cfg
                                       WHERE cfg.workspace_id = c.workspace_id)),
           clock_timestamp()  -- not now(): several batches in one transaction stay ordered
    FROM changed c
    WHERE c.old_tier IS DISTINCT FROM coalesce(c.tier, 'inactive');
END
$$;

CREATE OR REPLACE FUNCTION fanlens_score_follower_list(p_follower_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
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
        LEFT JOIN fanlens_scoring_weights(NULL) w
          ON w.workspace_id = c.workspace_id AND w.interaction_type = c.interaction_type
        WHERE c.follower_id = ANY (p_follower_ids)
        GROUP BY c.follower_id, c.workspace_id),
    scored AS (
        SELECT t.*, cfg.version AS config_version,
               fanlens_tier_for(t.score, cfg.super_fan_threshold, cfg.active_threshold,
                                cfg.lurker_threshold) AS tier
        FROM totals t JOIN current_scoring_configs cfg ON cfg.workspace_id = t.workspace_id),
    old AS (
        SELECT * FROM follower_engagement_scores s
        WHERE s.follower_id = ANY (p_follower_ids)),
    changed AS (
        -- Compare before writing: a nightly rescore of an unchanged workspace writes nothing.
        -- `n` is NULL for a follower left without interactions, `o` for a first score.
        SELECT coalesce(n.follower_id, o.follower_id) AS follower_id,
               coalesce(n.workspace_id, o.workspace_id) AS workspace_id,
               n.follower_id AS new_id, n.score, n.tier, n.config_version, n.comments, n.likes,
               n.shares, n.saves, n.visits, n.clicks, n.total, n.first_at, n.last_at,
               o.engagement_tier AS old_tier
        FROM scored n
        FULL JOIN old o ON o.follower_id = n.follower_id
        WHERE (o.engagement_score, o.engagement_tier, o.config_version, o.interaction_count,
               o.comment_count, o.like_count, o.share_count, o.save_count,
               o.profile_visit_count, o.link_click_count,
               o.first_interaction_at, o.last_interaction_at)
              IS DISTINCT FROM
              (n.score, n.tier, n.config_version, n.total, n.comments, n.likes, n.shares,
               n.saves, n.visits, n.clicks, n.first_at, n.last_at)),
    removed AS (
        DELETE FROM follower_engagement_scores s
        USING changed c
        WHERE c.new_id IS NULL AND s.follower_id = c.follower_id),
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
        WHERE c.new_id IS NOT NULL
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
            computed_at = EXCLUDED.computed_at)
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at)
    SELECT c.workspace_id, c.follower_id, c.old_tier, coalesce(c.tier, 'inactive'),
           coalesce(c.score, 0),
           coalesce(c.config_version, (SELECT cfg.version FROM current_scoring_configs cfg
                                       WHERE cfg.workspace_id = c.workspace_id)),
           clock_timestamp()  -- not now(): several batches in one transaction stay ordered
    FROM changed c
    WHERE c.old_tier IS DISTINCT FROM coalesce(c.tier, 'inactive');
END
$$;

CREATE OR REPLACE FUNCTION fanlens_score_followers_from_lines(p_follower_ids uuid[], p_workspace_id uuid)
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

DROP FUNCTION fanlens_replay_tier_history(uuid[], uuid);
DROP FUNCTION fanlens_tier_history_outdated(uuid);
