-- Deferred upkeep: a bulk import (fanlens.interactions.ingest, batches of at least
-- BULK_INTERACTIONS interactions) stores its batches with `SET LOCAL fanlens.defer_upkeep = on`.
-- Its insert triggers then leave the followers' derived rows (per-type counts, first and last
-- seen, scores and with them follower_tier_counts, tier history, retention) as they were and
-- record the followers in upkeep_backlog instead, and the batch's additions to the per-content
-- daily counts (interaction_daily_counts, and through it interaction_platform_days) in
-- upkeep_daily_backlog (counts.sql), in the batch's own transaction: the log and the backlogs
-- commit together, so derived rows lag the log but never run ahead of it, and a killed import
-- leaves backlogs that say exactly what is missing. Content totals stay current in the batch
-- (they come from posts). Updates and deletes of the log keep their in-transaction upkeep: they
-- rebuild the followers they touch from the log, which is right whether or not those followers
-- wait in the backlog, and add their workspace's pending daily additions before subtracting.

-- Is this transaction a bulk batch?
CREATE OR REPLACE FUNCTION fanlens_upkeep_deferred() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('fanlens.defer_upkeep', true), '') = 'on'
$$;

-- Bring the derived rows of up to p_followers (NULL: all) backlog followers of a workspace up
-- to date, rebuilt set-based from the log (whatever was applied to them meanwhile), and delete
-- their backlog rows in the same transaction (the workspace's pending daily additions are
-- added first, in the first chunk), so a catch-up killed part way resumes where its
-- last commit left it. The chunk's followers are locked first, in the order a batch's follower
-- upsert locks them: a batch storing interactions of one of them holds that lock until it
-- commits, so the rebuild sees every committed interaction of theirs and none half-applied.
-- (Measured on a first import of 145 000 interactions, rebuilding the whole workspace's rows
-- instead cost as much.) Returns the interactions caught up, NULL when nothing waited.
CREATE OR REPLACE FUNCTION fanlens_catch_up(p_workspace_id uuid, p_followers integer)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    chunk uuid[];
    chunk_ws uuid[];  -- the chunk's workspace, once per follower (the rebuilds take pairs)
    caught bigint;
BEGIN
    PERFORM fanlens_daily_backlog_merge(p_workspace_id);
    IF NOT EXISTS (SELECT 1 FROM upkeep_backlog b WHERE b.workspace_id = p_workspace_id) THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(x.id) INTO chunk
    FROM (SELECT f.id FROM upkeep_backlog b
          JOIN followers f ON f.id = b.follower_id AND f.workspace_id = b.workspace_id
          WHERE b.workspace_id = p_workspace_id
          ORDER BY f.platform, f.external_user_id
          LIMIT p_followers
          FOR NO KEY UPDATE OF f) x;
    IF chunk IS NULL THEN
        -- Left: followers deleted since (their derived rows went with them).
        DELETE FROM upkeep_backlog b WHERE b.workspace_id = p_workspace_id;
        RETURN 0;
    END IF;
    WITH claimed AS (
        DELETE FROM upkeep_backlog b
        WHERE b.workspace_id = p_workspace_id AND b.follower_id = ANY (chunk)
        RETURNING b.interactions)
    SELECT coalesce(sum(interactions), 0) INTO caught FROM claimed;

    chunk_ws := array_fill(p_workspace_id, ARRAY[cardinality(chunk)]);
    PERFORM fanlens_rebuild_counts(chunk, chunk_ws);
    UPDATE followers f
    SET first_seen_at = t.first_at, last_seen_at = t.last_at
    FROM (SELECT u.id, s.first_at, s.last_at
          FROM unnest(chunk) AS u(id)
          LEFT JOIN (SELECT i.follower_id, min(i.occurred_at) AS first_at,
                            max(i.occurred_at) AS last_at
                     FROM follower_interactions i
                     WHERE i.workspace_id = p_workspace_id AND i.follower_id = ANY (chunk)
                       AND i.time_precision = 'exact'
                     GROUP BY i.follower_id) s ON s.follower_id = u.id) t
    WHERE f.id = t.id AND f.workspace_id = p_workspace_id
      AND (f.first_seen_at IS DISTINCT FROM t.first_at OR f.last_seen_at IS DISTINCT FROM t.last_at);
    PERFORM fanlens_score_followers(chunk, p_workspace_id, chunk);
    PERFORM fanlens_retention_rebuild(chunk, chunk_ws);
    RETURN caught;
END
$$;
