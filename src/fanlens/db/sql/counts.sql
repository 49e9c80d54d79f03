-- Counts: each content item's cross-platform totals (content_engagement_totals), and
-- interactions per content item and day (interaction_daily_counts), kept by statement-level
-- triggers as deltas.

-- content_engagement_totals lets the content list sort and page through an index instead of
-- aggregating every post of the workspace on each request. The numbers follow the origin's
-- views: engagement = likes + comments + shares + saves as the platforms report them; best
-- platform (v1) = the most engagement, ties to more views, then by name.
--
-- Recompute the rows of the given content items from their posts. The rows are locked first
-- (in id order), so two transactions changing posts of one item take turns and the second
-- recomputes from what the first committed (each statement of a plpgsql function takes a new
-- snapshot under READ COMMITTED): neither writes stale totals.
CREATE OR REPLACE FUNCTION fanlens_refresh_content_totals(p_content_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM content_engagement_totals t WHERE t.content_id = ANY (p_content_ids)
        ORDER BY t.content_id FOR UPDATE;
    -- Unchanged totals are not rewritten (a metrics sync that changes nothing writes nothing).
    EXECUTE fanlens_upsert('content_engagement_totals', 'content_id', ARRAY[
        'content_id', 'workspace_id', 'platform_count', 'platforms', 'first_posted_at',
        'total_views', 'total_likes', 'total_comments', 'total_shares', 'total_saves',
        'total_engagement', 'engagement_rate', 'best_platform'], $q$
    SELECT ci.id, ci.workspace_id, a.platform_count, coalesce(a.platforms, '{}'),
           a.first_posted_at, a.views, a.likes, a.comments, a.shares, a.saves,
           coalesce(a.engagement, 0),
           round(a.engagement::numeric / nullif(a.views, 0), 6),
           a.best_platform
    FROM content_items ci
    CROSS JOIN LATERAL (
        SELECT count(*)::integer AS platform_count,
               array_agg(r.platform ORDER BY r.platform) AS platforms,
               min(r.first_posted_at) AS first_posted_at,
               sum(r.views)::bigint AS views, sum(r.likes)::bigint AS likes,
               sum(r.comments)::bigint AS comments, sum(r.shares)::bigint AS shares,
               sum(r.saves)::bigint AS saves, sum(r.engagement)::bigint AS engagement,
               (array_agg(r.platform ORDER BY r.engagement DESC, r.views DESC NULLS LAST,
                          r.platform))[1] AS best_platform
        FROM (SELECT p.platform, min(p.posted_at) AS first_posted_at, sum(p.views) AS views,
                     sum(p.likes) AS likes, sum(p.comments) AS comments,
                     sum(p.shares) AS shares, sum(p.saves) AS saves,
                     coalesce(sum(p.likes), 0) + coalesce(sum(p.comments), 0)
                         + coalesce(sum(p.shares), 0) + coalesce(sum(p.saves), 0) AS engagement
              FROM content_posts p
              WHERE p.content_id = ci.id AND p.workspace_id = ci.workspace_id
              GROUP BY p.platform) r
    ) a
    WHERE ci.id = ANY ($1)
    ORDER BY ci.id
    $q$, true) USING p_content_ids;
END
$$;

CREATE OR REPLACE FUNCTION fanlens_content_items_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO content_engagement_totals (content_id, workspace_id)
    SELECT n.id, n.workspace_id FROM new_rows n ORDER BY n.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_content_items_totals AFTER INSERT ON content_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_content_items_inserted();

-- Posts inserted, deleted, or changed in what the totals read: refresh their content items
-- (both the old and the new one when a post moves).
CREATE OR REPLACE FUNCTION fanlens_content_posts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.content_id) INTO touched FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.content_id) INTO touched FROM old_rows o;
    ELSE
        EXECUTE $q$
        SELECT array_agg(DISTINCT x.content_id)
        FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.workspace_id = o.workspace_id
        CROSS JOIN LATERAL (VALUES (o.content_id), (n.content_id)) AS x(content_id)
        WHERE (o.content_id, o.workspace_id, o.platform, o.posted_at, o.views, o.likes,
               o.comments, o.shares, o.saves)
              IS DISTINCT FROM
              (n.content_id, n.workspace_id, n.platform, n.posted_at, n.views, n.likes,
               n.comments, n.shares, n.saves)
        $q$ INTO touched;
    END IF;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_refresh_content_totals(touched);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_content_posts_totals_inserted AFTER INSERT ON content_posts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_content_posts_changed();

CREATE OR REPLACE TRIGGER trg_content_posts_totals_updated AFTER UPDATE ON content_posts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_content_posts_changed();

CREATE OR REPLACE TRIGGER trg_content_posts_totals_deleted AFTER DELETE ON content_posts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_content_posts_changed();

-- interaction_daily_counts: interactions per workspace, content item (or none), platform, day
-- and type, so charts over days and weeks read a few hundred rows instead of every interaction
-- of a busy item or workspace. Observed-time interactions go to a bucket of their own, day NULL
-- ("time unknown"), so totals still add up.
--
-- The day an interaction counts on: its UTC day when exact, NULL (time unknown) when observed.
CREATE OR REPLACE FUNCTION fanlens_interaction_day(p_occurred_at timestamptz, p_precision text)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_precision = 'exact' THEN (p_occurred_at AT TIME ZONE 'UTC')::date END
$$;

-- Inserted interactions add to their groups and deleted ones (cascades, corrections) subtract.
-- An update moves rows between groups only when a grouping column changed (a post relinked to
-- another content item, a corrected time, precision or type): the old groups lose them and the
-- new ones gain them. Rows that reach zero go. One subtracting and one adding statement serve
-- all three, each over the rows that move (`moved`).
--
-- A bulk batch (upkeep.sql) writes its additions to upkeep_daily_backlog instead: plain rows,
-- no upsert into the counts and no platform-days trigger per batch; the catch-up adds them.
-- Deletes and updates add the pending additions of their workspaces first, so they subtract
-- from counts that hold the rows they remove.
CREATE OR REPLACE FUNCTION fanlens_daily_counts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    moved text := CASE TG_OP
        WHEN 'INSERT' THEN 'new_rows n'
        WHEN 'DELETE' THEN 'old_rows o'
        ELSE $q$old_rows o JOIN new_rows n ON n.id = o.id AND n.workspace_id = o.workspace_id
            WHERE (o.workspace_id, o.content_id, o.platform, o.occurred_at, o.time_precision,
                   o.interaction_type)
                  IS DISTINCT FROM
                  (n.workspace_id, n.content_id, n.platform, n.occurred_at, n.time_precision,
                   n.interaction_type)$q$
    END;
    ws uuid;
BEGIN
    IF TG_OP = 'INSERT' AND fanlens_upkeep_deferred() THEN
        INSERT INTO upkeep_daily_backlog (
            workspace_id, content_id, platform, day, interaction_type, interaction_count)
        SELECT n.workspace_id, n.content_id, n.platform,
               fanlens_interaction_day(n.occurred_at, n.time_precision), n.interaction_type, count(*)
        FROM new_rows n
        GROUP BY 1, 2, 3, 4, 5;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        FOR ws IN SELECT DISTINCT o.workspace_id FROM old_rows o LOOP
            PERFORM fanlens_daily_backlog_merge(ws);
        END LOOP;
        EXECUTE format($q$
        UPDATE interaction_daily_counts d SET interaction_count = d.interaction_count - g.n
        FROM (SELECT o.workspace_id, o.content_id, o.platform,
                     fanlens_interaction_day(o.occurred_at, o.time_precision) AS day,
                     o.interaction_type, count(*) AS n
              FROM %s
              GROUP BY 1, 2, 3, 4, 5) g
        WHERE d.workspace_id = g.workspace_id AND d.content_id IS NOT DISTINCT FROM g.content_id
          AND d.platform = g.platform AND d.day IS NOT DISTINCT FROM g.day
          AND d.interaction_type = g.interaction_type
        $q$, moved);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- Rows are written in a fixed lock order: concurrent batches cannot deadlock here.
        EXECUTE format($q$
        INSERT INTO interaction_daily_counts AS d (
            workspace_id, content_id, platform, day, interaction_type, interaction_count)
        SELECT n.workspace_id, n.content_id, n.platform,
               fanlens_interaction_day(n.occurred_at, n.time_precision), n.interaction_type, count(*)
        FROM %s
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (workspace_id, content_id, platform, day, interaction_type) DO UPDATE
            SET interaction_count = d.interaction_count + EXCLUDED.interaction_count
        $q$, moved);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM interaction_daily_counts d
        USING (SELECT DISTINCT workspace_id FROM old_rows) w
        WHERE d.workspace_id = w.workspace_id AND d.interaction_count <= 0;
    END IF;
    RETURN NULL;
END
$$;

-- Add a workspace's pending bulk additions (upkeep_daily_backlog) to its daily counts. The rows
-- are claimed by deleting them, so two callers at once (a catch-up and a delete) add each once;
-- groups are written in the batches' lock order. A workspace being deleted is skipped (its
-- rows go by the cascade). The table is named in dynamic SQL: the function outlives the table
-- when the migration that made it is undone.
CREATE OR REPLACE FUNCTION fanlens_daily_backlog_merge(p_workspace_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('upkeep_daily_backlog') IS NULL
       OR NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = p_workspace_id) THEN
        RETURN;
    END IF;
    EXECUTE $q$
    WITH claimed AS (
        DELETE FROM upkeep_daily_backlog b WHERE b.workspace_id = $1
        RETURNING b.workspace_id, b.content_id, b.platform, b.day, b.interaction_type,
                  b.interaction_count)
    INSERT INTO interaction_daily_counts AS d (
        workspace_id, content_id, platform, day, interaction_type, interaction_count)
    SELECT workspace_id, content_id, platform, day, interaction_type, sum(interaction_count)
    FROM claimed
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, content_id, platform, day, interaction_type) DO UPDATE
        SET interaction_count = d.interaction_count + EXCLUDED.interaction_count
    $q$ USING p_workspace_id;
END
$$;

CREATE OR REPLACE TRIGGER trg_follower_interactions_daily_inserted
    AFTER INSERT ON follower_interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_daily_counts_changed();

CREATE OR REPLACE TRIGGER trg_follower_interactions_daily_deleted
    AFTER DELETE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_daily_counts_changed();

CREATE OR REPLACE TRIGGER trg_follower_interactions_daily_updated
    AFTER UPDATE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_daily_counts_changed();
