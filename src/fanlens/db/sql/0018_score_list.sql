-- Incremental rescoring with a plan that is made once per connection.
--
-- fanlens_score_followers serves both a list of followers and a whole workspace, so its
-- statement says `(p_follower_ids IS NULL OR ...)` and is planned anew on every call
-- (plan_cache_mode = force_custom_plan) around the 1 000 ids of an ingest batch. The list-only
-- statement below is fanlens_score_followers' (0014) with those conditions removed; PL/pgSQL
-- keeps its generic plan (index lookups by follower id), which on the medium world scored 1 000
-- followers in 35-42 ms against 45-47 ms. From about 10 000 ids on, the generic plan loses
-- to a custom one (50 000 followers: 1.9 s against 1.0 s), so larger lists, workspaces and
-- followers under a recency rule keep going through fanlens_score_followers.

CREATE FUNCTION fanlens_score_follower_list(p_follower_ids uuid[]) RETURNS void
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

-- As 0003's, choosing the statement by the list's length.
CREATE OR REPLACE FUNCTION fanlens_refresh_scores(p_follower_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM followers f WHERE f.id = ANY (p_follower_ids) ORDER BY f.id
        FOR NO KEY UPDATE;
    IF cardinality(p_follower_ids) <= 5000
       AND NOT fanlens_needs_recency(p_follower_ids, NULL) THEN
        PERFORM fanlens_score_follower_list(p_follower_ids);
    ELSE
        PERFORM fanlens_score_followers(p_follower_ids, NULL);
    END IF;
END
$$;
