-- Undo migration 0014: 0008's full rescore, and drop the check's functions.
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

DROP FUNCTION IF EXISTS fanlens_score_drift(uuid), fanlens_weight_case(uuid);

-- 0008's scoring statement.
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

-- 0008's recency test.
CREATE OR REPLACE FUNCTION fanlens_needs_recency(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM current_scoring_configs cfg
        WHERE cfg.recency_mode <> 'none'
          AND (p_workspace_id IS NULL OR cfg.workspace_id = p_workspace_id)
          AND (p_follower_ids IS NULL OR cfg.workspace_id IN (
                  SELECT f.workspace_id FROM followers f WHERE f.id = ANY (p_follower_ids))))
$$;
