-- fanlens scoring engine (migration 0003): per-workspace weights, tiers and recency rules,
-- incremental and full rescoring, tier history.

-- The default weights. The origin's six types keep the origin's weights, so a workspace that never
-- changes its config scores exactly as the origin did. The extra types are weighted by what they
-- cost the follower and what they do for the creator: a reply is a comment; a repost spreads the
-- post like a share; a quote is a repost with the follower's own words (share + a bit); a mention
-- brings the creator into the follower's own post (more than a comment, less than a share); a
-- follow is one-off interest, like a profile visit. Types not listed weigh 0 unless configured.
CREATE FUNCTION fanlens_default_scoring_weights() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{"comment": 5, "like": 1, "share": 10, "save": 8, "profile_visit": 3,
             "link_click": 15, "reply": 5, "repost": 10, "quote": 12, "mention": 8,
             "follow": 3}'::jsonb
$$;

-- The one tier rule: a score at or above a threshold reaches that tier.
CREATE FUNCTION fanlens_tier_for(
    p_score numeric, p_super_fan numeric, p_active numeric, p_lurker numeric
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_score >= p_super_fan THEN 'super_fan'
        WHEN p_score >= p_active THEN 'active'
        WHEN p_score >= p_lurker THEN 'lurker'
        ELSE 'inactive'
    END
$$;

-- Version 1 with the defaults for every workspace, existing or new.
CREATE FUNCTION fanlens_workspaces_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scoring_configs (workspace_id, version, weights)
    SELECT n.id, 1, fanlens_default_scoring_weights() FROM new_rows n
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_workspaces_scoring_config AFTER INSERT ON workspaces
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_workspaces_inserted();

INSERT INTO scoring_configs (workspace_id, version, weights)
SELECT w.id, 1, fanlens_default_scoring_weights() FROM workspaces w
ON CONFLICT DO NOTHING;

-- The config in force: each workspace's highest version.
CREATE VIEW current_scoring_configs AS
    SELECT DISTINCT ON (c.workspace_id) c.*
    FROM scoring_configs c
    ORDER BY c.workspace_id, c.version DESC;

-- One row per follower and interaction type: the count, what it counts for under the recency
-- rule, the weight and the points. Scores, full rescores and "explain" all read this one
-- definition. Either argument may be NULL (no filter). Inlined by the planner, so a caller's
-- filter reaches the index on follower_interaction_counts.
-- Recency (only for workspaces that configured it) reads the log itself: `window` counts
-- interactions of the last N days, `half_life` weighs each one by 0.5^(age in days / N).
CREATE FUNCTION fanlens_score_lines(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS TABLE (
    follower_id uuid, workspace_id uuid, config_version integer, interaction_type text,
    interaction_count bigint, effective_count numeric, weight numeric, points numeric,
    first_interaction_at timestamptz, last_interaction_at timestamptz,
    super_fan_threshold numeric, active_threshold numeric, lurker_threshold numeric)
LANGUAGE sql STABLE AS $$
    SELECT c.follower_id, c.workspace_id, cfg.version, c.interaction_type, c.interaction_count,
           e.effective, w.weight, w.weight * e.effective,
           c.first_interaction_at, c.last_interaction_at,
           cfg.super_fan_threshold, cfg.active_threshold, cfg.lurker_threshold
    FROM follower_interaction_counts c
    JOIN current_scoring_configs cfg ON cfg.workspace_id = c.workspace_id
    CROSS JOIN LATERAL (
        SELECT coalesce((cfg.weights ->> c.interaction_type)::numeric, 0) AS weight) w
    CROSS JOIN LATERAL (
        SELECT CASE cfg.recency_mode
            WHEN 'none' THEN c.interaction_count::numeric
            WHEN 'window' THEN (
                SELECT count(*)::numeric FROM follower_interactions i
                WHERE i.follower_id = c.follower_id
                  AND i.interaction_type = c.interaction_type
                  AND i.occurred_at > now() - cfg.recency_days * interval '1 day')
            ELSE (
                SELECT round(coalesce(sum(exp(
                           -ln(2.0::float8)
                           * greatest(extract(epoch FROM now() - i.occurred_at)::float8, 0)
                           / (86400.0 * cfg.recency_days::float8))), 0)::numeric, 4)
                FROM follower_interactions i
                WHERE i.follower_id = c.follower_id
                  AND i.interaction_type = c.interaction_type)
            END AS effective) e
    WHERE (p_follower_ids IS NULL OR c.follower_id = ANY (p_follower_ids))
      AND (p_workspace_id IS NULL OR c.workspace_id = p_workspace_id)
$$;

-- Per-workspace overloads of the origin's functions.
CREATE FUNCTION calculate_engagement_score(p_workspace_id uuid, p_counts jsonb) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(coalesce((cfg.weights ->> k.key)::numeric, 0) * k.value::numeric), 0)
    FROM current_scoring_configs cfg
    CROSS JOIN LATERAL jsonb_each_text(p_counts) k
    WHERE cfg.workspace_id = p_workspace_id
$$;

CREATE FUNCTION calculate_engagement_score(
    p_workspace_id uuid, p_comments bigint, p_likes bigint, p_shares bigint,
    p_saves bigint, p_profile_visits bigint, p_link_clicks bigint
) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT calculate_engagement_score(p_workspace_id, jsonb_build_object(
        'comment', coalesce(p_comments, 0), 'like', coalesce(p_likes, 0),
        'share', coalesce(p_shares, 0), 'save', coalesce(p_saves, 0),
        'profile_visit', coalesce(p_profile_visits, 0), 'link_click', coalesce(p_link_clicks, 0)))
$$;

CREATE FUNCTION determine_engagement_tier(p_workspace_id uuid, p_score numeric) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT fanlens_tier_for(p_score, cfg.super_fan_threshold, cfg.active_threshold,
                            cfg.lurker_threshold)
    FROM current_scoring_configs cfg
    WHERE cfg.workspace_id = p_workspace_id
$$;

-- Score the given followers (or a whole workspace) under their workspace's current config:
-- write only rows that change, and a tier-history row for every tier change, including a
-- follower's first appearance (from_tier NULL) and the loss of every interaction (to inactive).
-- Custom plans, so the NULL filters of fanlens_score_lines fold away and each call gets the
-- plan for its own size (1 000 followers: index lookups; a workspace: hash joins).
CREATE FUNCTION fanlens_score_followers(p_follower_ids uuid[], p_workspace_id uuid)
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

-- Called by the interaction triggers with each batch's touched followers. Locking the followers
-- (in id order) first makes two batches touching one follower take turns, and the statements
-- that follow see the other batch's committed counts, so neither writes a stale score.
CREATE OR REPLACE FUNCTION fanlens_refresh_scores(p_follower_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM followers f WHERE f.id = ANY (p_follower_ids) ORDER BY f.id
        FOR NO KEY UPDATE;
    PERFORM fanlens_score_followers(p_follower_ids, NULL);
END
$$;

-- Full rescore of one workspace: optionally rebuild the per-type counts from the interaction
-- log (writing only the differences), then rescore every follower. New interactions wait for it
-- (SHARE lock): a batch committing meanwhile would otherwise be missed or counted twice.
CREATE FUNCTION fanlens_rescore_workspace(p_workspace_id uuid, p_rebuild_counts boolean)
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
