-- Scoring: per-workspace weights, thresholds and recency rules; per-type interaction counts kept
-- by the interaction triggers; scores written only where they change; tier history replayed
-- from the log; the nightly full rescore as a check against the log.
--
-- Statements in trigger functions that join a statement's old and new transition tables run
-- through EXECUTE, so each call is planned for the rows it has. PL/pgSQL caches the plan of a
-- statement without parameters from its first call: when that call updated a row or two the
-- plan is a nested loop, and the same session's next update of 20 000 rows then compares every
-- old row with every new one (29 s instead of 0.25 s in a measured reproduction). The other
-- files follow the same rule.

-- The default weights. The origin's six types keep the origin's weights, so a workspace that never
-- changes its config scores exactly as the origin did. The extra types are weighted by what they
-- cost the follower and what they do for the creator: a reply is a comment; a repost spreads the
-- post like a share; a quote is a repost with the follower's own words (share + a bit); a mention
-- brings the creator into the follower's own post (more than a comment, less than a share); a
-- follow is one-off interest, like a profile visit. Types not listed weigh 0 unless configured.
CREATE OR REPLACE FUNCTION fanlens_default_scoring_weights() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{"comment": 5, "like": 1, "share": 10, "save": 8, "profile_visit": 3,
             "link_click": 15, "reply": 5, "repost": 10, "quote": 12, "mention": 8,
             "follow": 3}'::jsonb
$$;

-- The one tier rule: a score at or above a threshold reaches that tier.
CREATE OR REPLACE FUNCTION fanlens_tier_for(
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

-- Every new workspace gets version 1 of the config, with the default weights.
CREATE OR REPLACE FUNCTION fanlens_workspaces_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scoring_configs (workspace_id, version, weights)
    SELECT n.id, 1, fanlens_default_scoring_weights() FROM new_rows n
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_workspaces_scoring_config AFTER INSERT ON workspaces
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_workspaces_inserted();

-- The config in force: each workspace's highest version.
CREATE OR REPLACE VIEW current_scoring_configs AS
    SELECT DISTINCT ON (c.workspace_id) c.*
    FROM scoring_configs c
    ORDER BY c.workspace_id, c.version DESC;

-- The origin's scoring formula and tier rule, with the origin's fixed weights and thresholds.
CREATE OR REPLACE FUNCTION calculate_engagement_score(
    p_comments bigint, p_likes bigint, p_shares bigint,
    p_saves bigint, p_profile_visits bigint, p_link_clicks bigint
) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (coalesce(p_comments, 0) * 5
          + coalesce(p_likes, 0) * 1
          + coalesce(p_shares, 0) * 10
          + coalesce(p_saves, 0) * 8
          + coalesce(p_profile_visits, 0) * 3
          + coalesce(p_link_clicks, 0) * 15)::numeric
$$;

CREATE OR REPLACE FUNCTION determine_engagement_tier(p_score numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_score >= 500 THEN 'super_fan'
        WHEN p_score >= 100 THEN 'active'
        WHEN p_score >= 10 THEN 'lurker'
        ELSE 'inactive'
    END
$$;

-- Per-workspace overloads of the origin's functions, under the config in force.
CREATE OR REPLACE FUNCTION calculate_engagement_score(p_workspace_id uuid, p_counts jsonb)
RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(coalesce((cfg.weights ->> k.key)::numeric, 0) * k.value::numeric), 0)
    FROM current_scoring_configs cfg
    CROSS JOIN LATERAL jsonb_each_text(p_counts) k
    WHERE cfg.workspace_id = p_workspace_id
$$;

CREATE OR REPLACE FUNCTION calculate_engagement_score(
    p_workspace_id uuid, p_comments bigint, p_likes bigint, p_shares bigint,
    p_saves bigint, p_profile_visits bigint, p_link_clicks bigint
) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT calculate_engagement_score(p_workspace_id, jsonb_build_object(
        'comment', coalesce(p_comments, 0), 'like', coalesce(p_likes, 0),
        'share', coalesce(p_shares, 0), 'save', coalesce(p_saves, 0),
        'profile_visit', coalesce(p_profile_visits, 0), 'link_click', coalesce(p_link_clicks, 0)))
$$;

CREATE OR REPLACE FUNCTION determine_engagement_tier(p_workspace_id uuid, p_score numeric)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT fanlens_tier_for(p_score, cfg.super_fan_threshold, cfg.active_threshold,
                            cfg.lurker_threshold)
    FROM current_scoring_configs cfg
    WHERE cfg.workspace_id = p_workspace_id
$$;

-- Each workspace's weights as rows, so scoring joins a handful of rows instead of reading jsonb
-- once per count row.
CREATE OR REPLACE FUNCTION fanlens_scoring_weights(p_workspace_id uuid)
RETURNS TABLE (workspace_id uuid, interaction_type text, weight numeric)
LANGUAGE sql STABLE AS $$
    SELECT cfg.workspace_id, k.key, k.value::numeric
    FROM current_scoring_configs cfg
    CROSS JOIN LATERAL jsonb_each_text(cfg.weights) k
    WHERE p_workspace_id IS NULL OR cfg.workspace_id = p_workspace_id
$$;

-- Does any of these followers (or this workspace) score under a recency rule? Those need the
-- interaction log (fanlens_score_lines); everyone else is scored from the per-type counts alone.
-- The touched followers' workspaces are looked up only when some workspace has a rule at all
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

-- One row per follower and interaction type: the count, what it counts for under the recency
-- rule, the weight and the points. Scoring under a recency rule, full rescores and "explain" all
-- read this one definition. Either argument may be NULL (no filter). Inlined by the planner, so
-- a caller's filter reaches the index on follower_interaction_counts.
-- Recency (only for workspaces that configured it) reads the log itself: `window` counts
-- interactions of the last N days, `half_life` weighs each one by 0.5^(age in days / N).
CREATE OR REPLACE FUNCTION fanlens_score_lines(p_follower_ids uuid[], p_workspace_id uuid)
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
                WHERE i.follower_id = c.follower_id AND i.workspace_id = c.workspace_id
                  AND i.interaction_type = c.interaction_type
                  AND i.occurred_at > now() - cfg.recency_days * interval '1 day')
            ELSE (
                SELECT round(coalesce(sum(exp(
                           -ln(2.0::float8)
                           * greatest(extract(epoch FROM now() - i.occurred_at)::float8, 0)
                           / (86400.0 * cfg.recency_days::float8))), 0)::numeric, 4)
                FROM follower_interactions i
                WHERE i.follower_id = c.follower_id AND i.workspace_id = c.workspace_id
                  AND i.interaction_type = c.interaction_type)
            END AS effective) e
    WHERE (p_follower_ids IS NULL OR c.follower_id = ANY (p_follower_ids))
      AND (p_workspace_id IS NULL OR c.workspace_id = p_workspace_id)
$$;

-- The workspace's weights as `CASE i.interaction_type WHEN 'like' THEN 1 ... ELSE 0 END`: the
-- origin's six types first, likes first (the most frequent), since CASE tries them in order.
-- The full rescore's check and the tier-history replay write it into their statements: a
-- read-only SELECT with the weights as constants (integers when every weight is whole) runs in
-- parallel and costs about what a bare GROUP BY of the log costs.
CREATE OR REPLACE FUNCTION fanlens_weight_case(p_workspace_id uuid) RETURNS text
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

-- Tier history at behaviour time: a replay of the follower's interaction log under the rules in
-- force: interactions in time order, a running weighted score, and a row wherever the tier that
-- score reaches changes, dated at the interaction that made it change. A change that an
-- interaction with an observed time (fanlens knows only when it saw it) made happen keeps that
-- precision: the follower reached the tier by then. A new scoring config that moves a follower
-- is a row of its own kind ('config'), dated when the config took effect, so it never counts as
-- fans moving.
--
-- Rebuild the behaviour history of these followers (or of a workspace) from the log. Ties in
-- time put exact interactions first, then go by id, so a replay is repeatable. Weights are
-- never negative, so the running score only rises: a row's tier differs from the one before it
-- exactly when the score before the row (running - weight) reaches a lower tier; one window
-- pass finds every change. The weights are written into the statement (fanlens_weight_case),
-- one workspace at a time.
-- A recency rule is not replayed: the history says when the follower's behaviour first reached
-- each tier under the weights and thresholds; falls that come only from interactions ageing
-- show in the score and tier, not here.
CREATE OR REPLACE FUNCTION fanlens_replay_tier_history(p_follower_ids uuid[], p_workspace_id uuid)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    written bigint := 0;
    added bigint;
    cfg record;
BEGIN
    IF p_follower_ids IS NULL THEN
        FOR cfg IN SELECT c.workspace_id FROM current_scoring_configs c
                   WHERE p_workspace_id IS NULL OR c.workspace_id = p_workspace_id LOOP
            written := written + fanlens_replay_workspace_tier_history(cfg.workspace_id);
        END LOOP;
        RETURN written;
    END IF;
    DELETE FROM follower_tier_changes t
    WHERE t.kind = 'behaviour' AND t.follower_id = ANY (p_follower_ids)
      AND (p_workspace_id IS NULL OR t.workspace_id = p_workspace_id);
    FOR cfg IN
        SELECT c.* FROM current_scoring_configs c
        WHERE (p_workspace_id IS NULL OR c.workspace_id = p_workspace_id)
          AND c.workspace_id IN (
                  SELECT f.workspace_id FROM followers f WHERE f.id = ANY (p_follower_ids))
    LOOP
        EXECUTE 'INSERT INTO follower_tier_changes (workspace_id, follower_id, from_tier, '
                'to_tier, score, config_version, changed_at, time_precision, kind) '
                || fanlens_tier_replay(cfg.workspace_id)
        USING cfg.workspace_id, p_follower_ids, cfg.version, cfg.super_fan_threshold,
              cfg.active_threshold, cfg.lurker_threshold;
        GET DIAGNOSTICS added = ROW_COUNT;
        written := written + added;
    END LOOP;
    RETURN written;
END
$$;

-- The replay statement of a workspace's followers ($2, or all when NULL): the behaviour rows
-- (workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at,
-- time_precision, kind), with $1 the workspace, $3 the config version and $4..$6 its
-- thresholds.
CREATE OR REPLACE FUNCTION fanlens_tier_replay(p_workspace_id uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format($q$
        SELECT $1 AS workspace_id, r.follower_id,
               CASE WHEN r.n > 1 THEN fanlens_tier_for(r.running - r.weight, $4, $5, $6)
               END AS from_tier,
               fanlens_tier_for(r.running, $4, $5, $6) AS to_tier, r.running AS score,
               $3 AS config_version, r.occurred_at AS changed_at, r.time_precision,
               'behaviour' AS kind
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
    $q$, fanlens_weight_case(p_workspace_id))
$$;

-- A whole workspace's replay (a backfill, a config change, `fanlens score --full`, a repair)
-- writes only the rows that differ: the replay goes to a temporary table, the stored rows it
-- does not hold are deleted, then its rows not stored are inserted. A history that is right
-- is left as it is, and the tier-day triggers only read the followers whose rows changed (a
-- rewrite of every row made them read every follower's history twice per statement). The log
-- is read in one pass, sorted (following the follower index instead fetched the 20 M rows of
-- the large world in random order: 6.7 min, against 3.6 min sorted).
CREATE OR REPLACE FUNCTION fanlens_replay_workspace_tier_history(p_workspace_id uuid)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cfg record;
    removed bigint;
    added bigint;
    index_scans text := current_setting('enable_indexscan');
BEGIN
    SELECT * INTO cfg FROM current_scoring_configs c WHERE c.workspace_id = p_workspace_id;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    PERFORM set_config('enable_indexscan', 'off', true);
    EXECUTE 'CREATE TEMPORARY TABLE fanlens_replayed_tiers ON COMMIT DROP AS '
            || fanlens_tier_replay(p_workspace_id)
    USING p_workspace_id, NULL::uuid[], cfg.version, cfg.super_fan_threshold,
          cfg.active_threshold, cfg.lurker_threshold;
    PERFORM set_config('enable_indexscan', index_scans, true);
    ANALYZE fanlens_replayed_tiers;
    -- coalesce: from_tier is NULL on a first row, and '=' keeps the comparison a hash join.
    DELETE FROM follower_tier_changes t
    WHERE t.workspace_id = p_workspace_id AND t.kind = 'behaviour'
      AND NOT EXISTS (
          SELECT 1 FROM fanlens_replayed_tiers r
          WHERE r.follower_id = t.follower_id AND r.changed_at = t.changed_at
            AND coalesce(r.from_tier, '') = coalesce(t.from_tier, '') AND r.to_tier = t.to_tier
            AND r.score = t.score AND r.config_version = t.config_version
            AND r.time_precision = t.time_precision);
    GET DIAGNOSTICS removed = ROW_COUNT;
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at,
        time_precision, kind)
    SELECT r.* FROM fanlens_replayed_tiers r
    WHERE NOT EXISTS (
        SELECT 1 FROM follower_tier_changes t
        WHERE t.workspace_id = p_workspace_id AND t.kind = 'behaviour'
          AND r.follower_id = t.follower_id AND r.changed_at = t.changed_at
          AND coalesce(r.from_tier, '') = coalesce(t.from_tier, '') AND r.to_tier = t.to_tier
          AND r.score = t.score AND r.config_version = t.config_version
          AND r.time_precision = t.time_precision);
    GET DIAGNOSTICS added = ROW_COUNT;
    DROP TABLE fanlens_replayed_tiers;
    RETURN removed + added;
END
$$;

-- Was some of this workspace's behaviour history replayed under another config version than
-- the one in force (a config change whose rescore has not replayed it yet)?
CREATE OR REPLACE FUNCTION fanlens_tier_history_outdated(p_workspace_id uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM follower_tier_changes t
        JOIN current_scoring_configs cfg ON cfg.workspace_id = t.workspace_id
        WHERE t.workspace_id = p_workspace_id AND t.kind = 'behaviour'
          AND t.config_version <> cfg.version)
$$;

-- Scoring from per-type lines to written score rows, as CTEs that follow a statement's `lines`
-- (a row per follower and interaction type: follower_id, workspace_id, interaction_type,
-- interaction_count, points, first_interaction_at, last_interaction_at) and `old` (the stored
-- score rows of the followers scored). `totals` and `scored` give each follower's score, origin
-- counts and tier under the config in force; `changed` keeps only the followers whose row
-- differs (compare before writing: a nightly rescore of an unchanged workspace writes nothing),
-- with their old tier, times and version and whether the rules alone moved them
-- (`rules_moved`: scored under an older config version, and in another tier now);
-- `scores_removed` and `scores_written` write those rows. Both scoring statements
-- (fanlens_score_followers, fanlens_rebuild_workspace) score through these CTEs.
CREATE OR REPLACE FUNCTION fanlens_score_ctes() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT format($q$
    totals AS (
        SELECT l.follower_id, l.workspace_id,
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
        FROM lines l
        GROUP BY l.follower_id, l.workspace_id),
    scored AS (
        SELECT t.*, cfg.version AS config_version,
               fanlens_tier_for(t.score, cfg.super_fan_threshold, cfg.active_threshold,
                                cfg.lurker_threshold) AS tier
        FROM totals t JOIN current_scoring_configs cfg ON cfg.workspace_id = t.workspace_id),
    changed AS (
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
        FULL JOIN old o ON o.follower_id = n.follower_id AND o.workspace_id = n.workspace_id
        WHERE (o.engagement_score, o.engagement_tier, o.config_version, o.interaction_count,
               o.comment_count, o.like_count, o.share_count, o.save_count,
               o.profile_visit_count, o.link_click_count,
               o.first_interaction_at, o.last_interaction_at)
              IS DISTINCT FROM
              (n.score, n.tier, n.config_version, n.total, n.comments, n.likes, n.shares,
               n.saves, n.visits, n.clicks, n.first_at, n.last_at)),
    scores_removed AS (
        DELETE FROM follower_engagement_scores s
        USING changed c
        WHERE c.new_id IS NULL AND s.follower_id = c.follower_id
          AND s.workspace_id = c.workspace_id),
    scores_written AS (
        %s)
    $q$, fanlens_upsert('follower_engagement_scores', 'follower_id', ARRAY[
        'follower_id', 'workspace_id', 'engagement_score', 'engagement_tier', 'comment_count',
        'like_count', 'share_count', 'save_count', 'profile_visit_count', 'link_click_count',
        'other_count', 'interaction_count', 'first_interaction_at', 'last_interaction_at',
        'config_version', 'computed_at'], $r$
        SELECT c.follower_id, c.workspace_id, c.score, c.tier,
               c.comments, c.likes, c.shares, c.saves, c.visits, c.clicks,
               c.total - (c.comments + c.likes + c.shares + c.saves + c.visits + c.clicks),
               c.total, c.first_at, c.last_at, c.config_version, now()
        FROM changed c
        WHERE c.new_id IS NOT NULL
        ORDER BY c.follower_id  -- a fixed lock order for concurrent batches
        $r$, false))
$$;

-- Score the given followers (or a whole workspace) under their workspace's current config,
-- writing only rows that change (fanlens_score_ctes). Scores come from the per-type
-- counts, or, where a recency rule applies, from fanlens_score_lines (the log is read); the one
-- statement below takes its lines from one of the two, the other branch folding away. Followers
-- left without interactions (their score row deleted, a move to inactive recorded) are found in
-- the same statement, through a FULL JOIN with their old rows. Run through EXECUTE, so the
-- NULL filters fold away and each call gets the plan for its own size (1 000 followers: index
-- lookups; a workspace: hash joins); every caller, the interaction triggers included, goes
-- through this one statement.
--
-- Tier moves: a follower whose stored score was computed under an older config version and
-- whose tier differs now was moved by the rules (a 'config' row). The behaviour history is
-- replayed (few followers per batch) for any other move, a first score, a follower left without
-- interactions, and the followers of `p_replay`: the callers name those whose log changed at
-- or before their last tier change (a late interaction, a delete, a new time), which can
-- re-date their history while score and tier stay. Anyone else only gained interactions after
-- their last change without changing tier, and the running score only rises, so their
-- history stands.
CREATE OR REPLACE FUNCTION fanlens_score_followers(
    p_follower_ids uuid[], p_workspace_id uuid, p_replay uuid[]
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    moved uuid[];
BEGIN
    EXECUTE format($s$
    WITH lines AS (
        SELECT c.follower_id, c.workspace_id, c.interaction_type, c.interaction_count,
               c.interaction_count * coalesce(w.weight, 0) AS points,
               c.first_interaction_at, c.last_interaction_at
        FROM follower_interaction_counts c
        LEFT JOIN fanlens_scoring_weights($2) w
          ON w.workspace_id = c.workspace_id AND w.interaction_type = c.interaction_type
        WHERE NOT $3
          AND ($1 IS NULL OR c.follower_id = ANY ($1))
          AND ($2 IS NULL OR c.workspace_id = $2)
        UNION ALL
        SELECT l.follower_id, l.workspace_id, l.interaction_type, l.interaction_count, l.points,
               l.first_interaction_at, l.last_interaction_at
        FROM fanlens_score_lines($1, $2) l
        WHERE $3),
    old AS (
        SELECT * FROM follower_engagement_scores s
        WHERE ($1 IS NULL OR s.follower_id = ANY ($1))
          AND ($2 IS NULL OR s.workspace_id = $2)),
    %s,
    by_rules AS (
        INSERT INTO follower_tier_changes (
            workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at,
            kind)
        SELECT c.workspace_id, c.follower_id, c.old_tier, c.tier, c.score, c.config_version,
               cfg.created_at, 'config'
        FROM changed c JOIN current_scoring_configs cfg ON cfg.workspace_id = c.workspace_id
        WHERE c.rules_moved)
    SELECT array_agg(c.follower_id)
    FROM changed c
    WHERE NOT c.rules_moved
      AND (c.new_id IS NULL OR c.old_tier IS DISTINCT FROM c.tier)
    $s$, fanlens_score_ctes())
    INTO moved
    USING p_follower_ids, p_workspace_id, fanlens_needs_recency(p_follower_ids, p_workspace_id);
    IF p_replay IS NOT NULL THEN  -- a follower's score row may not even change (a new time)
        moved := ARRAY(SELECT DISTINCT u.id FROM unnest(moved || p_replay) AS u(id));
    END IF;
    IF cardinality(moved) > 0 THEN
        PERFORM fanlens_replay_tier_history(moved, p_workspace_id);
    END IF;
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
    PERFORM fanlens_score_followers(p_follower_ids, NULL, NULL);
END
$$;

-- Rebuild the per-type counts of the given followers from the interaction log: follower ids
-- and their workspaces in the same order, a (follower, workspace) pair per position. `= ANY`
-- on the ids keeps the follower_id index; the pair keeps each follower to their workspace.
CREATE OR REPLACE FUNCTION fanlens_rebuild_counts(p_follower_ids uuid[], p_workspace_ids uuid[])
RETURNS void
LANGUAGE sql AS $$
    DELETE FROM follower_interaction_counts c
    USING unnest(p_follower_ids, p_workspace_ids) AS u(id, workspace_id)
    WHERE c.follower_id = u.id AND c.workspace_id = u.workspace_id;
    -- A join with the pairs, not `= ANY (ids)` beside them: with thousands of ids (a bulk
    -- import's catch-up) that filter searched the whole array once per row of the log.
    INSERT INTO follower_interaction_counts (
        follower_id, interaction_type, workspace_id, interaction_count,
        first_interaction_at, last_interaction_at)
    SELECT i.follower_id, i.interaction_type, i.workspace_id, count(*),
           min(i.occurred_at), max(i.occurred_at)
    FROM (SELECT DISTINCT * FROM unnest(p_follower_ids, p_workspace_ids)) AS u(id, workspace_id)
    JOIN follower_interactions i ON i.follower_id = u.id AND i.workspace_id = u.workspace_id
    GROUP BY i.follower_id, i.workspace_id, i.interaction_type;
$$;

-- The per-type counts of one workspace ($1) rebuilt from the log, as the leading CTEs of a
-- statement: `fresh` groups the log per follower and type once; `diff` keeps the counts that
-- differ from it; `counts_removed`, `counts_updated` and `counts_added` write only those
-- differences (`counts_added` returns a row per count it inserts). Both workspace rebuilds below
-- run their statement after these CTEs.
CREATE OR REPLACE FUNCTION fanlens_workspace_counts_ctes() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT $q$
    fresh AS MATERIALIZED (
        SELECT i.follower_id, i.workspace_id, i.interaction_type, count(*) AS n,
               min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
        FROM follower_interactions i
        WHERE i.workspace_id = $1
        GROUP BY i.follower_id, i.workspace_id, i.interaction_type),
    diff AS (
        SELECT coalesce(f.follower_id, c.follower_id) AS follower_id,
               coalesce(f.interaction_type, c.interaction_type) AS interaction_type,
               f.n, f.first_at, f.last_at, c.follower_id IS NULL AS is_new
        FROM fresh f
        FULL JOIN (SELECT * FROM follower_interaction_counts WHERE workspace_id = $1) c
          ON c.follower_id = f.follower_id AND c.workspace_id = f.workspace_id
         AND c.interaction_type = f.interaction_type
        WHERE (f.n, f.first_at, f.last_at) IS DISTINCT FROM
              (c.interaction_count, c.first_interaction_at, c.last_interaction_at)),
    counts_removed AS (
        DELETE FROM follower_interaction_counts c
        USING diff d
        WHERE d.n IS NULL AND c.follower_id = d.follower_id AND c.workspace_id = $1
          AND c.interaction_type = d.interaction_type),
    counts_updated AS (
        UPDATE follower_interaction_counts c
        SET interaction_count = d.n, first_interaction_at = d.first_at,
            last_interaction_at = d.last_at
        FROM diff d
        WHERE d.n IS NOT NULL AND NOT d.is_new AND c.follower_id = d.follower_id
          AND c.workspace_id = $1 AND c.interaction_type = d.interaction_type),
    counts_added AS (
        INSERT INTO follower_interaction_counts (
            follower_id, interaction_type, workspace_id, interaction_count,
            first_interaction_at, last_interaction_at)
        SELECT d.follower_id, d.interaction_type, $1, d.n, d.first_at, d.last_at
        FROM diff d WHERE d.is_new
        RETURNING 1)
    $q$
$$;

-- Rebuild the per-type counts of one workspace, writing only the differences, for workspaces
-- whose scores need the log anyway (a recency rule). Returns the number of counts inserted.
CREATE OR REPLACE FUNCTION fanlens_rebuild_workspace_counts(p_workspace_id uuid) RETURNS bigint
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    inserted bigint;
BEGIN
    EXECUTE format('WITH %s SELECT count(*) FROM counts_added', fanlens_workspace_counts_ctes())
    INTO inserted USING p_workspace_id;
    RETURN inserted;
END
$$;

-- Full rescore of a workspace without a recency rule, from the interaction log, as one
-- statement: the log is grouped once per follower and type (`fresh`); that one result is both
-- diffed into the per-type counts (fanlens_workspace_counts_ctes) and totalled into the scores,
-- so the log is read once and the counts table is never read back. Only rows that differ are
-- written (fanlens_score_ctes), and tier changes (including first scores and followers
-- left without interactions) come from the same diff. FULL JOINs can only be hash or merge joins, so the plan stays sound
-- even when the statistics still describe empty count and score tables (a backfill). It is
-- the one scoring statement besides fanlens_score_followers, kept for its gain over counts
-- rebuilt then scored by that function (benchmarks/scoring.py prints it; 38 % on a cold
-- world of 500 000 interactions).
CREATE OR REPLACE FUNCTION fanlens_rebuild_workspace(p_workspace_id uuid) RETURNS bigint
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan SET work_mem = '256MB' AS $$
DECLARE
    changes bigint;
BEGIN
    EXECUTE format($s$
    WITH %s,
    cfg AS (
        SELECT * FROM current_scoring_configs WHERE workspace_id = $1),
    lines AS (
        SELECT f.follower_id, $1 AS workspace_id, f.interaction_type, f.n AS interaction_count,
               f.n * coalesce(w.weight, 0) AS points, f.first_at AS first_interaction_at,
               f.last_at AS last_interaction_at
        FROM fresh f
        LEFT JOIN fanlens_scoring_weights($1) w
          ON w.interaction_type = f.interaction_type),
    old AS (
        SELECT * FROM follower_engagement_scores WHERE workspace_id = $1),
    %s
    INSERT INTO follower_tier_changes (
        workspace_id, follower_id, from_tier, to_tier, score, config_version, changed_at)
    SELECT $1, c.follower_id, c.old_tier, coalesce(c.tier, 'inactive'),
           coalesce(c.score, 0), cfg.version, clock_timestamp()
    FROM changed c CROSS JOIN cfg
    WHERE c.old_tier IS DISTINCT FROM coalesce(c.tier, 'inactive')
    $s$, fanlens_workspace_counts_ctes(), fanlens_score_ctes()) USING p_workspace_id;
    GET DIAGNOSTICS changes = ROW_COUNT;
    RETURN changes;
END
$$;

-- Followers of the workspace whose score row is not what the log says: a different score,
-- interaction count, first/last time or config version, no row though they have interactions,
-- or a row though they have none. One read-only pass over the log, in parallel. The per-type
-- counts are checked through the weighted score and the total (counting each type too made the
-- pass 1.4x slower); a drift that left both exactly equal would go unseen by this check.
CREATE OR REPLACE FUNCTION fanlens_score_drift(p_workspace_id uuid) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
    drifted uuid[];
    cfg_version integer;
BEGIN
    SELECT version INTO cfg_version FROM current_scoring_configs
    WHERE workspace_id = p_workspace_id;
    EXECUTE format($q$
        WITH log AS (
            SELECT i.follower_id, i.workspace_id, sum(%s) AS score, count(*) AS total,
                   min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
            FROM follower_interactions i
            WHERE i.workspace_id = $1
            GROUP BY i.follower_id, i.workspace_id)
        SELECT array_agg(coalesce(l.follower_id, s.follower_id))
        FROM log l
        FULL JOIN (SELECT * FROM follower_engagement_scores WHERE workspace_id = $1) s
          ON s.follower_id = l.follower_id AND s.workspace_id = l.workspace_id
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
-- follower against the log (fanlens_score_drift); a few drifted followers get their counts
-- rebuilt and are rescored; when most of the workspace differs (a backfill, a new config) one
-- set-based rebuild of the whole workspace is cheaper. A re-weigh (no rebuild) reads the counts
-- only. Tier history is replayed for the drifted followers, for the whole workspace after a
-- set-based rebuild, and whenever it was replayed under another config version (a config
-- change); an unchanged workspace (the nightly case) replays nothing.
-- New interactions wait (SHARE lock): a batch committing meanwhile would otherwise be missed or
-- counted twice. After writing many rows, fresh statistics keep the next plans sound.
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
            PERFORM fanlens_rebuild_counts(
                drifted, array_fill(p_workspace_id, ARRAY[cardinality(drifted)]));
            PERFORM fanlens_score_followers(drifted, p_workspace_id, drifted);
        END IF;
    ELSE
        IF p_rebuild_counts THEN
            written := fanlens_rebuild_workspace_counts(p_workspace_id);
        END IF;
        PERFORM fanlens_score_followers(NULL, p_workspace_id, NULL);
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

-- One time rule: only interactions with the platform's own time (time_precision = 'exact')
-- stand for behaviour time. An 'observed' interaction carries the time fanlens saw it (a sync
-- or an export), so it counts toward scores and totals but never toward first/last seen,
-- per-day series or retention.
--
-- New interactions. The touched followers are locked first, in id order, so concurrent batches
-- take turns on a shared follower instead of deadlocking (the first/last-seen UPDATE below
-- would otherwise lock them in whatever order its join produced), and so scoring sees the
-- other batch's committed counts. Then the per-type counts get the batch's delta (a batch
-- costs what it holds), first/last seen move (exact rows only), and the touched followers are
-- rescored, each workspace's under its own id. Followers are matched by id and workspace_id.
-- A follower with an interaction at or before their last behaviour tier change (one arriving
-- late) has their history replayed, found by one index probe of the history per follower.
-- A bulk batch records its followers in upkeep_backlog instead (upkeep.sql).
CREATE OR REPLACE FUNCTION fanlens_interactions_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];  -- the touched followers' ids, and their workspaces in the same order
    touched_ws uuid[];
    ws uuid;
    ids uuid[];
    late uuid[];
BEGIN
    IF fanlens_upkeep_deferred() THEN  -- a bulk batch: the catch-up does the rest (upkeep.sql)
        INSERT INTO upkeep_backlog AS b (follower_id, workspace_id, interactions)
        SELECT n.follower_id, n.workspace_id, count(*) FROM new_rows n
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT ON CONSTRAINT pk_upkeep_backlog
        DO UPDATE SET interactions = b.interactions + EXCLUDED.interactions;
        RETURN NULL;
    END IF;
    SELECT array_agg(t.follower_id), array_agg(t.workspace_id) INTO touched, touched_ws
    FROM (SELECT DISTINCT follower_id, workspace_id FROM new_rows) t;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM followers f
    WHERE f.id = ANY (touched)
      AND (f.id, f.workspace_id) IN (SELECT * FROM unnest(touched, touched_ws))
    ORDER BY f.id, f.workspace_id FOR NO KEY UPDATE;

    INSERT INTO follower_interaction_counts AS c (
        follower_id, interaction_type, workspace_id, interaction_count,
        first_interaction_at, last_interaction_at)
    SELECT n.follower_id, n.interaction_type, n.workspace_id, count(*),
           min(n.occurred_at), max(n.occurred_at)
    FROM new_rows n
    GROUP BY n.follower_id, n.interaction_type, n.workspace_id
    ORDER BY 1, 2
    ON CONFLICT ON CONSTRAINT pk_follower_interaction_counts DO UPDATE SET
        interaction_count = c.interaction_count + EXCLUDED.interaction_count,
        first_interaction_at = least(c.first_interaction_at, EXCLUDED.first_interaction_at),
        last_interaction_at = greatest(c.last_interaction_at, EXCLUDED.last_interaction_at);

    UPDATE followers f
    SET first_seen_at = least(f.first_seen_at, t.first_at),
        last_seen_at = greatest(f.last_seen_at, t.last_at)
    FROM (SELECT follower_id, workspace_id, min(occurred_at) AS first_at,
                 max(occurred_at) AS last_at
          FROM new_rows WHERE time_precision = 'exact' GROUP BY follower_id, workspace_id) t
    WHERE f.id = t.follower_id AND f.workspace_id = t.workspace_id
      AND (f.first_seen_at IS NULL OR f.last_seen_at IS NULL
           OR t.first_at < f.first_seen_at OR t.last_at > f.last_seen_at);

    FOR ws, ids, late IN
        SELECT t.workspace_id, array_agg(t.follower_id),
               array_agg(t.follower_id) FILTER (WHERE EXISTS (
                   SELECT 1 FROM follower_tier_changes c
                   WHERE c.follower_id = t.follower_id AND c.workspace_id = t.workspace_id
                     AND c.changed_at >= t.first_at AND c.kind = 'behaviour'))
        FROM (SELECT n.follower_id, n.workspace_id, min(n.occurred_at) AS first_at
              FROM new_rows n GROUP BY 1, 2) t
        GROUP BY 1
    LOOP
        PERFORM fanlens_score_followers(ids, ws, late);
    END LOOP;
    RETURN NULL;
END
$$;

-- Deleted or changed interactions are rare (corrections, cascades): the touched followers are
-- locked as for inserts, their counts rebuilt from the log rather than subtracted, first/
-- last seen read from their exact rows (the per-type counts mix in observed times), and their
-- tier history replayed (a change anywhere in the log may re-date it).
CREATE OR REPLACE FUNCTION fanlens_interactions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];  -- the touched followers' ids, and their workspaces in the same order
    touched_ws uuid[];
    ws uuid;
    ids uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(t.id), array_agg(t.workspace_id) INTO touched, touched_ws
        FROM (SELECT DISTINCT f.id, f.workspace_id
              FROM old_rows o
              JOIN followers f ON f.id = o.follower_id AND f.workspace_id = o.workspace_id) t;
    ELSE
        -- Only changes that move counts or times matter (not a content relink or a text edit).
        EXECUTE $q$
        SELECT array_agg(t.id), array_agg(t.workspace_id)
        FROM (SELECT DISTINCT f.id, f.workspace_id
              FROM (SELECT o.workspace_id, o.follower_id, n.follower_id AS new_follower_id
                    FROM old_rows o
                    JOIN new_rows n ON n.id = o.id AND n.workspace_id = o.workspace_id
                    WHERE (o.follower_id, o.interaction_type, o.occurred_at, o.time_precision)
                          IS DISTINCT FROM
                          (n.follower_id, n.interaction_type, n.occurred_at, n.time_precision)
                   ) d
              CROSS JOIN LATERAL (VALUES (d.follower_id), (d.new_follower_id)) AS x(follower_id)
              JOIN followers f ON f.id = x.follower_id AND f.workspace_id = d.workspace_id) t
        $q$ INTO touched, touched_ws;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM followers f
    WHERE f.id = ANY (touched)
      AND (f.id, f.workspace_id) IN (SELECT * FROM unnest(touched, touched_ws))
    ORDER BY f.id, f.workspace_id FOR NO KEY UPDATE;
    PERFORM fanlens_rebuild_counts(touched, touched_ws);
    UPDATE followers f
    SET first_seen_at = t.first_at, last_seen_at = t.last_at
    FROM (SELECT u.id, u.workspace_id, s.first_at, s.last_at
          FROM unnest(touched, touched_ws) AS u(id, workspace_id)
          CROSS JOIN LATERAL (
              SELECT min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
              FROM follower_interactions i
              WHERE i.follower_id = u.id AND i.workspace_id = u.workspace_id
                AND i.time_precision = 'exact') s) t
    WHERE f.id = t.id AND f.workspace_id = t.workspace_id
      AND (f.first_seen_at IS DISTINCT FROM t.first_at OR f.last_seen_at IS DISTINCT FROM t.last_at);
    FOR ws, ids IN SELECT t.workspace_id, array_agg(t.id)
                   FROM unnest(touched, touched_ws) AS t (id, workspace_id) GROUP BY 1 LOOP
        PERFORM fanlens_score_followers(ids, ws, ids);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_follower_interactions_inserted AFTER INSERT ON follower_interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_inserted();

CREATE OR REPLACE TRIGGER trg_follower_interactions_deleted AFTER DELETE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_changed();

CREATE OR REPLACE TRIGGER trg_follower_interactions_updated AFTER UPDATE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_changed();
