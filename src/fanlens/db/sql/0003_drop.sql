-- Undo migration 0003: drop its functions, triggers and view, and restore 0001's refresh.
DROP TRIGGER IF EXISTS trg_workspaces_scoring_config ON workspaces;
DROP FUNCTION IF EXISTS fanlens_rescore_workspace(uuid, boolean),
    fanlens_score_followers(uuid[], uuid),
    determine_engagement_tier(uuid, numeric),
    calculate_engagement_score(uuid, bigint, bigint, bigint, bigint, bigint, bigint),
    calculate_engagement_score(uuid, jsonb),
    fanlens_score_lines(uuid[], uuid),
    fanlens_workspaces_inserted(),
    fanlens_tier_for(numeric, numeric, numeric, numeric),
    fanlens_default_scoring_weights();
DROP VIEW IF EXISTS current_scoring_configs;

-- 0001's fanlens_refresh_scores (the origin's fixed weights).
CREATE OR REPLACE FUNCTION fanlens_refresh_scores(p_follower_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM follower_engagement_scores s
    WHERE s.follower_id = ANY (p_follower_ids)
      AND NOT EXISTS (SELECT 1 FROM follower_interaction_counts c
                      WHERE c.follower_id = s.follower_id);

    INSERT INTO follower_engagement_scores AS s (
        follower_id, workspace_id, engagement_score, engagement_tier,
        comment_count, like_count, share_count, save_count, profile_visit_count,
        link_click_count, other_count, interaction_count,
        first_interaction_at, last_interaction_at, computed_at)
    SELECT t.follower_id, t.workspace_id,
           calculate_engagement_score(t.comments, t.likes, t.shares, t.saves, t.visits, t.clicks),
           determine_engagement_tier(
               calculate_engagement_score(t.comments, t.likes, t.shares, t.saves, t.visits, t.clicks)),
           t.comments, t.likes, t.shares, t.saves, t.visits, t.clicks,
           t.total - (t.comments + t.likes + t.shares + t.saves + t.visits + t.clicks),
           t.total, t.first_at, t.last_at, now()
    FROM (
        SELECT c.follower_id, min(c.workspace_id::text)::uuid AS workspace_id,
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
        WHERE c.follower_id = ANY (p_follower_ids)
        GROUP BY c.follower_id
    ) t
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
        computed_at = EXCLUDED.computed_at;
$$;
