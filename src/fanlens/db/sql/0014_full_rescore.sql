-- fanlens full rescore as a check (migration 0014): the nightly rescore reads the interaction
-- log once, in parallel, for every follower's score row as the log says it should be, and
-- rewrites (counts and score) only the followers whose stored row differs.
--
-- Why: 0008's rebuild grouped the log per follower *and type* inside a data-modifying
-- statement, which PostgreSQL never runs in parallel; on the medium world that was 3.9x a bare
-- weighted GROUP BY. A read-only SELECT can use parallel workers, and with the workspace's
-- weights written into a CASE expression (integers when every weight is whole) it costs about
-- what the bare GROUP BY costs.

-- The workspace's weights as `CASE i.interaction_type WHEN 'like' THEN 1 ... ELSE 0 END`: the
-- origin's six types first, likes first (the most frequent), since CASE tries them in order.
CREATE FUNCTION fanlens_weight_case(p_workspace_id uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT 'CASE i.interaction_type '
           || coalesce(string_agg(
                  format('WHEN %L THEN %s', w.interaction_type,
                         CASE WHEN w.whole THEN trunc(w.weight)::bigint::text
                              ELSE w.weight::text || '::numeric' END), ' '
                  ORDER BY array_position(ARRAY['like', 'comment', 'share', 'save',
                                                'profile_visit', 'link_click'],
                                          w.interaction_type), w.interaction_type), '')
           || CASE WHEN coalesce(bool_and(w.whole), true) THEN ' ELSE 0 END'
                   ELSE ' ELSE 0::numeric END' END
    FROM (SELECT sw.interaction_type, sw.weight,
                 bool_and(sw.weight = trunc(sw.weight)) OVER () AS whole
          FROM fanlens_scoring_weights(p_workspace_id) sw) w
$$;

-- Followers of the workspace whose score row is not what the log says: a different score,
-- interaction count, first/last time or config version, no row though they have interactions,
-- or a row though they have none. The per-type counts are checked through the weighted score
-- and the total (counting each type too made the pass 1.4x slower); a drift that left both
-- exactly equal would go unseen by this check.
CREATE FUNCTION fanlens_score_drift(p_workspace_id uuid) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
    drifted uuid[];
    cfg_version integer;
BEGIN
    SELECT version INTO cfg_version FROM current_scoring_configs
    WHERE workspace_id = p_workspace_id;
    EXECUTE format($q$
        WITH log AS (
            SELECT i.follower_id, sum(%s) AS score, count(*) AS total,
                   min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
            FROM follower_interactions i
            WHERE i.workspace_id = $1
            GROUP BY i.follower_id)
        SELECT array_agg(coalesce(l.follower_id, s.follower_id))
        FROM log l
        FULL JOIN (SELECT * FROM follower_engagement_scores WHERE workspace_id = $1) s
          ON s.follower_id = l.follower_id
        WHERE (s.engagement_score, s.interaction_count, s.first_interaction_at,
               s.last_interaction_at, s.config_version)
              IS DISTINCT FROM
              (l.score, l.total, l.first_at, l.last_at, $2)
    $q$, fanlens_weight_case(p_workspace_id))
    INTO drifted USING p_workspace_id, cfg_version;
    RETURN coalesce(drifted, '{}');
END
$$;

-- Full rescore of one workspace. Without a recency rule and with a rebuild: check every
-- follower against the log; a few drifted followers get their counts rebuilt and are rescored;
-- when most of the workspace differs (a backfill, a new config) one set-based rebuild of the
-- whole workspace is cheaper. A re-weigh (no rebuild) reads the counts only.
-- New interactions wait (SHARE lock): a batch committing meanwhile would otherwise be missed or
-- counted twice. After writing many rows, fresh statistics keep the next plans sound.
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

-- Score the given followers (or a whole workspace) under their workspace's current config.
-- As 0008's, with followers left without interactions (their score row deleted, a move to
-- inactive recorded) found in the same statement, through a FULL JOIN with their old rows: a
-- separate statement for them read every touched follower's score and counts a second time,
-- a quarter of an incremental rescore's cost.
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

-- Does any of these followers (or this workspace) score under a recency rule? As 0008's, but
-- the touched followers' workspaces are looked up only when some workspace has a rule at all
-- (1 000 key lookups were a tenth of an incremental rescore, almost always for nothing).
CREATE OR REPLACE FUNCTION fanlens_needs_recency(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM current_scoring_configs cfg
                   WHERE cfg.recency_mode <> 'none'
                     AND (p_workspace_id IS NULL OR cfg.workspace_id = p_workspace_id)) THEN
        RETURN false;
    END IF;
    RETURN p_follower_ids IS NULL OR EXISTS (
        SELECT 1 FROM current_scoring_configs cfg
        WHERE cfg.recency_mode <> 'none'
          AND cfg.workspace_id IN (SELECT f.workspace_id FROM followers f
                                   WHERE f.id = ANY (p_follower_ids)));
END
$$;
