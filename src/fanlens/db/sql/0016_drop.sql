DROP TRIGGER IF EXISTS trg_followers_tier_counts_inserted ON followers;
DROP TRIGGER IF EXISTS trg_followers_tier_counts_deleted ON followers;
DROP TRIGGER IF EXISTS trg_scores_tier_counts_inserted ON follower_engagement_scores;
DROP TRIGGER IF EXISTS trg_scores_tier_counts_updated ON follower_engagement_scores;
DROP TRIGGER IF EXISTS trg_scores_tier_counts_deleted ON follower_engagement_scores;
DROP TRIGGER IF EXISTS trg_daily_counts_platform_days_inserted ON interaction_daily_counts;
DROP TRIGGER IF EXISTS trg_daily_counts_platform_days_updated ON interaction_daily_counts;
DROP TRIGGER IF EXISTS trg_daily_counts_platform_days_deleted ON interaction_daily_counts;
DROP FUNCTION IF EXISTS fanlens_tier_counts_followers_inserted(),
    fanlens_tier_counts_follower_deleted(), fanlens_tier_counts_scores_changed(),
    fanlens_platform_days_changed();

-- 0012's retention upkeep.
CREATE OR REPLACE FUNCTION fanlens_retention_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Only a change of follower, time or platform moves periods (not a post relinked to
        -- another content item, which updates every interaction of the post); an interaction
        -- moved to another follower changes both.
        SELECT array_agg(DISTINCT x.follower_id) INTO touched
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.follower_id), (n.follower_id)) AS x (follower_id)
        WHERE (o.follower_id, o.occurred_at, o.platform, o.workspace_id)
              IS DISTINCT FROM (n.follower_id, n.occurred_at, n.platform, n.workspace_id);
    ELSE
        SELECT array_agg(DISTINCT follower_id) INTO touched FROM old_rows;
    END IF;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_retention_rebuild(touched);
    END IF;
    RETURN NULL;
END
$$;
