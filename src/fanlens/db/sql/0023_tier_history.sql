-- Tier history at behaviour time (migration 0023).
--
-- A tier change used to be dated when fanlens processed it, so an import put a super fan's
-- whole climb into a fraction of a second and every fan "moved" in the import week. Now the
-- behaviour history is a replay of the follower's interaction log under the rules in force:
-- interactions in time order, a running weighted score, and a row wherever the tier that score
-- reaches changes, dated at the interaction that made it change. A change that an interaction
-- with an observed time (fanlens knows only when it saw it) made happen keeps that precision:
-- the follower reached the tier by then. A new scoring config that moves a follower is a row of
-- its own kind ('config'), dated when the config took effect, so it never counts as fans moving.

-- Rebuild the behaviour history of these followers (or of a workspace) from the log. Ties in
-- time put exact interactions first, then go by id, so a replay is repeatable. Weights are
-- never negative, so the running score only rises: a row's tier differs from the one before it
-- exactly when the score before the row (running - weight) reaches a lower tier; one window
-- pass finds every change. The weights are written into the statement, as the full rescore's
-- check does (fanlens_weight_case), one workspace at a time.
-- A recency rule is not replayed: the history says when the follower's behaviour first reached
-- each tier under the weights and thresholds; falls that come only from interactions ageing
-- show in the score and tier, not here.
CREATE FUNCTION fanlens_replay_tier_history(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    written bigint := 0;
    added bigint;
    cfg record;
BEGIN
    DELETE FROM follower_tier_changes t
    WHERE t.kind = 'behaviour'
      AND (p_follower_ids IS NULL OR t.follower_id = ANY (p_follower_ids))
      AND (p_workspace_id IS NULL OR t.workspace_id = p_workspace_id);
    FOR cfg IN
        SELECT c.* FROM current_scoring_configs c
        WHERE (p_workspace_id IS NULL OR c.workspace_id = p_workspace_id)
          AND (p_follower_ids IS NULL OR c.workspace_id IN (
                  SELECT f.workspace_id FROM followers f WHERE f.id = ANY (p_follower_ids)))
    LOOP
        EXECUTE format($q$
            INSERT INTO follower_tier_changes (
                workspace_id, follower_id, from_tier, to_tier, score, config_version,
                changed_at, time_precision, kind)
            SELECT $1, r.follower_id,
                   CASE WHEN r.n > 1 THEN fanlens_tier_for(r.running - r.weight, $4, $5, $6) END,
                   fanlens_tier_for(r.running, $4, $5, $6), r.running, $3, r.occurred_at,
                   r.time_precision, 'behaviour'
            FROM (
                SELECT i.follower_id, i.occurred_at, i.time_precision, %1$s AS weight,
                       sum(%1$s) OVER w AS running, count(*) OVER w AS n
                FROM follower_interactions i
                WHERE i.workspace_id = $1
                  AND ($2 IS NULL OR i.follower_id = ANY ($2))
                WINDOW w AS (PARTITION BY i.follower_id
                             ORDER BY i.occurred_at, i.time_precision, i.id
                             ROWS UNBOUNDED PRECEDING)) r
            WHERE r.n = 1
               OR fanlens_tier_for(r.running - r.weight, $4, $5, $6)
                  <> fanlens_tier_for(r.running, $4, $5, $6)
        $q$, fanlens_weight_case(cfg.workspace_id))
        USING cfg.workspace_id, p_follower_ids, cfg.version, cfg.super_fan_threshold,
              cfg.active_threshold, cfg.lurker_threshold;
        GET DIAGNOSTICS added = ROW_COUNT;
        written := written + added;
    END LOOP;
    RETURN written;
END
$$;

-- Was some of this workspace's behaviour history replayed under another config version than
-- the one in force (a config change whose rescore has not replayed it yet)?
CREATE FUNCTION fanlens_tier_history_outdated(p_workspace_id uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM follower_tier_changes t
        JOIN current_scoring_configs cfg ON cfg.workspace_id = t.workspace_id
        WHERE t.workspace_id = p_workspace_id AND t.kind = 'behaviour'
          AND t.config_version <> cfg.version)
$$;

-- Tier moves in the scoring statements below: a follower whose stored score was computed under
-- an older config version and whose tier differs now was moved by the rules (a 'config' row).
-- The behaviour history is replayed (few followers per batch) for any other move, a first
-- score, a follower left without interactions, and a follower whose log changed without a new
-- latest interaction (interactions deleted, or arriving late: their dates may fall between
-- earlier changes) or with one older than their first.

-- 0014's, with tier moves recorded as above.
CREATE OR REPLACE FUNCTION fanlens_score_followers(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    moved uuid[];
BEGIN
    IF fanlens_needs_recency(p_follower_ids, p_workspace_id) THEN
        WITH gone AS (
            DELETE FROM follower_engagement_scores s
            WHERE (p_follower_ids IS NULL OR s.follower_id = ANY (p_follower_ids))
              AND (p_workspace_id IS NULL OR s.workspace_id = p_workspace_id)
              AND NOT EXISTS (SELECT 1 FROM follower_interaction_counts c
                              WHERE c.follower_id = s.follower_id)
            RETURNING s.follower_id)
        SELECT array_agg(g.follower_id) INTO moved FROM gone g;
        IF moved IS NOT NULL THEN
            PERFORM fanlens_replay_tier_history(moved, NULL);
        END IF;
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
               o.engagement_tier AS old_tier, o.first_interaction_at AS old_first_at,
               o.last_interaction_at AS old_last_at, o.config_version AS old_version,
               (o.follower_id IS NOT NULL AND n.follower_id IS NOT NULL
                AND o.config_version <> n.config_version
                AND o.engagement_tier <> n.tier) AS rules_moved
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
            computed_at = EXCLUDED.computed_at),
    by_rules AS (
        INSERT INTO follower_tier_changes (
            workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at,
            kind)
        SELECT c.workspace_id, c.follower_id, c.old_tier, c.tier, c.score, c.config_version,
               cfg.created_at, 'config'
        FROM changed c JOIN current_scoring_configs cfg ON cfg.workspace_id = c.workspace_id
        WHERE c.rules_moved)
    SELECT array_agg(c.follower_id) INTO moved
    FROM changed c
    WHERE NOT c.rules_moved
      AND (c.new_id IS NULL
           OR c.old_tier IS DISTINCT FROM c.tier
           OR c.first_at < c.old_first_at
           OR (c.config_version = c.old_version AND c.last_at <= c.old_last_at));
    IF moved IS NOT NULL THEN
        PERFORM fanlens_replay_tier_history(moved, NULL);
    END IF;
END
$$;

-- 0018's, with tier moves recorded as above.
CREATE OR REPLACE FUNCTION fanlens_score_follower_list(p_follower_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    moved uuid[];
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
               o.engagement_tier AS old_tier, o.first_interaction_at AS old_first_at,
               o.last_interaction_at AS old_last_at, o.config_version AS old_version,
               (o.follower_id IS NOT NULL AND n.follower_id IS NOT NULL
                AND o.config_version <> n.config_version
                AND o.engagement_tier <> n.tier) AS rules_moved
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
            computed_at = EXCLUDED.computed_at),
    by_rules AS (
        INSERT INTO follower_tier_changes (
            workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at,
            kind)
        SELECT c.workspace_id, c.follower_id, c.old_tier, c.tier, c.score, c.config_version,
               cfg.created_at, 'config'
        FROM changed c JOIN current_scoring_configs cfg ON cfg.workspace_id = c.workspace_id
        WHERE c.rules_moved)
    SELECT array_agg(c.follower_id) INTO moved
    FROM changed c
    WHERE NOT c.rules_moved
      AND (c.new_id IS NULL
           OR c.old_tier IS DISTINCT FROM c.tier
           OR c.first_at < c.old_first_at
           OR (c.config_version = c.old_version AND c.last_at <= c.old_last_at));
    IF moved IS NOT NULL THEN
        PERFORM fanlens_replay_tier_history(moved, NULL);
    END IF;
END
$$;

-- 0008's, with tier moves recorded as above.
CREATE OR REPLACE FUNCTION fanlens_score_followers_from_lines(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    moved uuid[];
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
        SELECT n.*, o.engagement_tier AS old_tier, o.first_interaction_at AS old_first_at,
               o.last_interaction_at AS old_last_at, o.config_version AS old_version,
               n.follower_id AS new_id,
               (o.follower_id IS NOT NULL AND o.config_version <> n.config_version
                AND o.engagement_tier <> n.tier) AS rules_moved
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
        RETURNING s.follower_id),
    -- Every changed row is written (the upsert has no WHERE), so history reads `changed`
    -- directly; `written` still runs, as data-modifying CTEs always do.
    by_rules AS (
        INSERT INTO follower_tier_changes (
            workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at,
            kind)
        SELECT c.workspace_id, c.follower_id, c.old_tier, c.tier, c.score, c.config_version,
               cfg.created_at, 'config'
        FROM changed c JOIN current_scoring_configs cfg ON cfg.workspace_id = c.workspace_id
        WHERE c.rules_moved)
    SELECT array_agg(c.follower_id) INTO moved
    FROM changed c
    WHERE NOT c.rules_moved
      AND (c.new_id IS NULL
           OR c.old_tier IS DISTINCT FROM c.tier
           OR c.first_at < c.old_first_at
           OR (c.config_version = c.old_version AND c.last_at <= c.old_last_at));
    IF moved IS NOT NULL THEN
        PERFORM fanlens_replay_tier_history(moved, NULL);
    END IF;
END
$$;

-- 0014's full rescore, which now also rebuilds tier history by replay: for the drifted
-- followers, for the whole workspace after a set-based rebuild (a backfill), and whenever the
-- history was replayed under another config version (a config change). An unchanged workspace
-- (the nightly case) replays nothing.
CREATE OR REPLACE FUNCTION fanlens_rescore_workspace(p_workspace_id uuid, p_rebuild_counts boolean)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    written bigint := 0;
    drifted uuid[];
    replay_all boolean := false;
BEGIN
    LOCK TABLE follower_interactions IN SHARE MODE;
    IF p_rebuild_counts AND NOT fanlens_needs_recency(NULL, p_workspace_id) THEN
        drifted := fanlens_score_drift(p_workspace_id);
        IF cardinality(drifted) > 10000 THEN
            written := fanlens_rebuild_workspace(p_workspace_id);
            replay_all := true;
        ELSIF cardinality(drifted) > 0 THEN
            PERFORM fanlens_rebuild_counts(drifted);
            PERFORM fanlens_score_followers(drifted, NULL);
            PERFORM fanlens_replay_tier_history(drifted, NULL);
        END IF;
    ELSE
        IF p_rebuild_counts THEN
            written := fanlens_rebuild_workspace_counts(p_workspace_id);
        END IF;
        PERFORM fanlens_score_followers(NULL, p_workspace_id);
    END IF;
    IF replay_all OR fanlens_tier_history_outdated(p_workspace_id) THEN
        written := written + fanlens_replay_tier_history(NULL, p_workspace_id);
    END IF;
    IF written > 10000 THEN
        ANALYZE follower_interaction_counts;
        ANALYZE follower_engagement_scores;
        ANALYZE follower_tier_changes;
    END IF;
END
$$;

-- The history recorded so far was dated by processing time: replay every workspace's.
SELECT fanlens_replay_tier_history(NULL, w.id) FROM workspaces w;
