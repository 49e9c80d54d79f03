-- interaction_daily_counts: interactions per workspace, content item (or none), platform, UTC
-- day and type, kept by statement-level triggers as deltas, so charts over days and weeks read
-- a few hundred rows instead of every interaction of a busy item or workspace.

CREATE FUNCTION fanlens_daily_counts_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO interaction_daily_counts AS d (
        workspace_id, content_id, platform, day, interaction_type, interaction_count)
    SELECT n.workspace_id, n.content_id, n.platform, (n.occurred_at AT TIME ZONE 'UTC')::date,
           n.interaction_type, count(*)
    FROM new_rows n
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5  -- a fixed lock order: concurrent batches cannot deadlock here
    ON CONFLICT (workspace_id, content_id, platform, day, interaction_type) DO UPDATE
        SET interaction_count = d.interaction_count + EXCLUDED.interaction_count;
    RETURN NULL;
END
$$;

-- Deletes (cascades, corrections) subtract; rows that reach zero go.
CREATE FUNCTION fanlens_daily_counts_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE interaction_daily_counts d SET interaction_count = d.interaction_count - g.n
    FROM (SELECT o.workspace_id, o.content_id, o.platform,
                 (o.occurred_at AT TIME ZONE 'UTC')::date AS day, o.interaction_type,
                 count(*) AS n
          FROM old_rows o GROUP BY 1, 2, 3, 4, 5) g
    WHERE d.workspace_id = g.workspace_id AND d.content_id IS NOT DISTINCT FROM g.content_id
      AND d.platform = g.platform AND d.day = g.day AND d.interaction_type = g.interaction_type;
    DELETE FROM interaction_daily_counts d
    USING (SELECT DISTINCT workspace_id FROM old_rows) w
    WHERE d.workspace_id = w.workspace_id AND d.interaction_count <= 0;
    RETURN NULL;
END
$$;

-- Updates move rows between groups only when a grouping column changed (a post relinked to
-- another content item, a corrected time or type): subtract the old groups, add the new ones.
CREATE FUNCTION fanlens_daily_counts_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE interaction_daily_counts d SET interaction_count = d.interaction_count - g.n
    FROM (SELECT o.workspace_id, o.content_id, o.platform,
                 (o.occurred_at AT TIME ZONE 'UTC')::date AS day, o.interaction_type,
                 count(*) AS n
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE (o.workspace_id, o.content_id, o.platform, o.occurred_at, o.interaction_type)
                IS DISTINCT FROM
                (n.workspace_id, n.content_id, n.platform, n.occurred_at, n.interaction_type)
          GROUP BY 1, 2, 3, 4, 5) g
    WHERE d.workspace_id = g.workspace_id AND d.content_id IS NOT DISTINCT FROM g.content_id
      AND d.platform = g.platform AND d.day = g.day AND d.interaction_type = g.interaction_type;
    INSERT INTO interaction_daily_counts AS d (
        workspace_id, content_id, platform, day, interaction_type, interaction_count)
    SELECT n.workspace_id, n.content_id, n.platform, (n.occurred_at AT TIME ZONE 'UTC')::date,
           n.interaction_type, count(*)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.workspace_id, o.content_id, o.platform, o.occurred_at, o.interaction_type)
          IS DISTINCT FROM
          (n.workspace_id, n.content_id, n.platform, n.occurred_at, n.interaction_type)
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, content_id, platform, day, interaction_type) DO UPDATE
        SET interaction_count = d.interaction_count + EXCLUDED.interaction_count;
    DELETE FROM interaction_daily_counts d
    USING (SELECT DISTINCT workspace_id FROM old_rows) w
    WHERE d.workspace_id = w.workspace_id AND d.interaction_count <= 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_follower_interactions_daily_inserted AFTER INSERT ON follower_interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_daily_counts_inserted();
CREATE TRIGGER trg_follower_interactions_daily_deleted AFTER DELETE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_daily_counts_deleted();
CREATE TRIGGER trg_follower_interactions_daily_updated AFTER UPDATE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_daily_counts_updated();

-- What the log already holds.
INSERT INTO interaction_daily_counts (
    workspace_id, content_id, platform, day, interaction_type, interaction_count)
SELECT workspace_id, content_id, platform, (occurred_at AT TIME ZONE 'UTC')::date,
       interaction_type, count(*)
FROM follower_interactions
GROUP BY 1, 2, 3, 4, 5;
