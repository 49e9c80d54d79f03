DROP TRIGGER IF EXISTS trg_followers_cascade ON followers;
DROP TRIGGER IF EXISTS trg_content_posts_cascade ON content_posts;
DROP TRIGGER IF EXISTS trg_content_items_cascade ON content_items;
DROP FUNCTION IF EXISTS fanlens_cascade_interactions();
DROP VIEW IF EXISTS follower_cohorts, follower_activity_timeline, top_engaged_followers,
    content_cross_platform_summary, content_platform_rollup;
DROP TRIGGER IF EXISTS trg_follower_interactions_inserted ON follower_interactions;
DROP TRIGGER IF EXISTS trg_follower_interactions_deleted ON follower_interactions;
DROP TRIGGER IF EXISTS trg_follower_interactions_updated ON follower_interactions;
DROP TRIGGER IF EXISTS trg_content_posts_content_changed ON content_posts;
DROP FUNCTION IF EXISTS fanlens_post_content_changed(), fanlens_interactions_inserted(), fanlens_interactions_changed(),
    fanlens_rebuild_counts(uuid[]), fanlens_refresh_scores(uuid[]),
    calculate_engagement_score(bigint, bigint, bigint, bigint, bigint, bigint),
    determine_engagement_tier(numeric);
DROP TRIGGER IF EXISTS trg_workspaces_updated_at ON workspaces;
DROP TRIGGER IF EXISTS trg_content_items_updated_at ON content_items;
DROP TRIGGER IF EXISTS trg_content_posts_updated_at ON content_posts;
DROP TRIGGER IF EXISTS trg_content_tags_updated_at ON content_tags;
DROP TRIGGER IF EXISTS trg_followers_updated_at ON followers;
DROP FUNCTION IF EXISTS fanlens_set_updated_at();
