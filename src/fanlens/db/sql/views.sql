-- The reporting views. Each carries workspace_id so every query can be scoped.

-- Engagement = likes + comments + shares + saves as the platform reports them on the post.
CREATE OR REPLACE VIEW content_platform_rollup AS
SELECT ci.workspace_id,
       ci.id AS content_id,
       ci.title,
       p.platform,
       count(*) AS post_count,
       min(p.posted_at) AS first_posted_at,
       sum(p.views) AS views,
       sum(p.likes) AS likes,
       sum(p.comments) AS comments,
       sum(p.shares) AS shares,
       sum(p.saves) AS saves,
       coalesce(sum(p.likes), 0) + coalesce(sum(p.comments), 0)
           + coalesce(sum(p.shares), 0) + coalesce(sum(p.saves), 0) AS engagement,
       round((coalesce(sum(p.likes), 0) + coalesce(sum(p.comments), 0)
           + coalesce(sum(p.shares), 0) + coalesce(sum(p.saves), 0))::numeric
           / nullif(sum(p.views), 0), 6) AS engagement_rate,
       coalesce(max(i.interaction_count), 0) AS interaction_count,
       coalesce(max(i.comment_interactions), 0) AS comment_interactions,
       coalesce(max(i.like_interactions), 0) AS like_interactions,
       coalesce(max(i.share_interactions), 0) AS share_interactions,
       coalesce(max(i.unique_followers), 0) AS unique_followers
FROM content_items ci
JOIN content_posts p ON p.content_id = ci.id AND p.workspace_id = ci.workspace_id
LEFT JOIN LATERAL (
    SELECT count(*) AS interaction_count,
           count(*) FILTER (WHERE fi.interaction_type = 'comment') AS comment_interactions,
           count(*) FILTER (WHERE fi.interaction_type = 'like') AS like_interactions,
           count(*) FILTER (WHERE fi.interaction_type = 'share') AS share_interactions,
           count(DISTINCT fi.follower_id) AS unique_followers
    FROM follower_interactions fi
    WHERE fi.content_id = ci.id AND fi.workspace_id = ci.workspace_id AND fi.platform = p.platform
) i ON true
GROUP BY ci.workspace_id, ci.id, ci.title, p.platform;

-- best_platform rule (v1): the platform with the most engagement (likes + comments + shares +
-- saves); ties go to the platform with more views, then by name.
CREATE OR REPLACE VIEW content_cross_platform_summary AS
SELECT r.workspace_id,
       r.content_id,
       r.title,
       count(*) AS platform_count,
       array_agg(r.platform ORDER BY r.platform) AS platforms,
       min(r.first_posted_at) AS first_posted_at,
       sum(r.views) AS total_views,
       sum(r.likes) AS total_likes,
       sum(r.comments) AS total_comments,
       sum(r.shares) AS total_shares,
       sum(r.saves) AS total_saves,
       sum(r.engagement) AS total_engagement,
       sum(r.interaction_count) AS total_interactions,
       (array_agg(r.platform ORDER BY r.engagement DESC, r.views DESC NULLS LAST, r.platform))[1]
           AS best_platform
FROM content_platform_rollup r
GROUP BY r.workspace_id, r.content_id, r.title;

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
JOIN followers f ON f.id = s.follower_id AND f.workspace_id = s.workspace_id
ORDER BY s.engagement_score DESC, f.id;

CREATE OR REPLACE VIEW follower_activity_timeline AS
SELECT fi.workspace_id,
       fi.id AS interaction_id,
       fi.follower_id,
       f.username,
       f.platform,
       fi.interaction_type,
       fi.interaction_value,
       fi.content_id,
       ci.title,
       fi.content_post_id,
       p.url AS post_url,
       fi.occurred_at,
       fi.time_precision
FROM follower_interactions fi
JOIN followers f ON f.id = fi.follower_id AND f.workspace_id = fi.workspace_id
LEFT JOIN content_items ci ON ci.id = fi.content_id AND ci.workspace_id = fi.workspace_id
LEFT JOIN content_posts p ON p.id = fi.content_post_id AND p.workspace_id = fi.workspace_id;

-- Cohorts by the week a follower was first seen; active_30d = seen in the last 30 days.
CREATE OR REPLACE VIEW follower_cohorts AS
SELECT f.workspace_id,
       date_trunc('week', f.first_seen_at)::date AS cohort_week,
       f.platform,
       count(*) AS follower_count,
       count(*) FILTER (WHERE f.last_seen_at >= now() - interval '30 days') AS active_30d,
       count(*) FILTER (WHERE s.engagement_tier = 'super_fan') AS super_fans,
       count(*) FILTER (WHERE s.engagement_tier = 'active') AS active_fans,
       count(*) FILTER (WHERE s.engagement_tier = 'lurker') AS lurkers,
       round(avg(coalesce(s.engagement_score, 0)), 2) AS avg_engagement_score
FROM followers f
LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id AND s.workspace_id = f.workspace_id
WHERE f.first_seen_at IS NOT NULL
GROUP BY f.workspace_id, date_trunc('week', f.first_seen_at)::date, f.platform;
