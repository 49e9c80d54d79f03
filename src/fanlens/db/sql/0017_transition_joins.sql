-- Trigger statements that join a statement's old and new transition tables now run through
-- EXECUTE, so each call is planned for the rows it has (migration 0017). PL/pgSQL caches the plan
-- of a statement without parameters from its first call; when that call updated a row or two,
-- the plan was a nested loop, and the same session's next update of 20 000 rows then compared
-- every old row with every new one: 29 s instead of 0.25 s in a measured reproduction. A pooled
-- web or worker connection relinking a small post and then a busy one would have hit it.

CREATE OR REPLACE FUNCTION fanlens_interactions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.follower_id) INTO touched
        FROM old_rows o JOIN followers f ON f.id = o.follower_id;
    ELSE
        -- Only changes that move counts matter (not, say, a content relink or a text edit).
        EXECUTE $q$
        SELECT array_agg(DISTINCT x.follower_id)
        FROM (SELECT o.follower_id, n.follower_id AS new_follower_id
              FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE (o.follower_id, o.interaction_type, o.occurred_at)
                    IS DISTINCT FROM (n.follower_id, n.interaction_type, n.occurred_at)) d
        CROSS JOIN LATERAL (VALUES (d.follower_id), (d.new_follower_id)) AS x(follower_id)
        JOIN followers f ON f.id = x.follower_id
        $q$ INTO touched;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM followers f WHERE f.id = ANY (touched) ORDER BY f.id FOR NO KEY UPDATE;
    PERFORM fanlens_rebuild_counts(touched);
    UPDATE followers f
    SET first_seen_at = t.first_at, last_seen_at = t.last_at
    FROM (SELECT u.id,
                 (SELECT min(c.first_interaction_at) FROM follower_interaction_counts c
                  WHERE c.follower_id = u.id) AS first_at,
                 (SELECT max(c.last_interaction_at) FROM follower_interaction_counts c
                  WHERE c.follower_id = u.id) AS last_at
          FROM unnest(touched) AS u(id)) t
    WHERE f.id = t.id
      AND (f.first_seen_at IS DISTINCT FROM t.first_at OR f.last_seen_at IS DISTINCT FROM t.last_at);
    PERFORM fanlens_score_followers(touched, NULL);
    RETURN NULL;
END
$$;


CREATE OR REPLACE FUNCTION fanlens_retention_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Only a change of follower, time or platform moves periods (not a post relinked to
        -- another content item, which updates every interaction of the post); an interaction
        -- moved to another follower changes both.
        EXECUTE $q$
        SELECT array_agg(DISTINCT x.follower_id)
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN workspaces w ON w.id = n.workspace_id
        CROSS JOIN LATERAL (VALUES (o.follower_id), (n.follower_id)) AS x (follower_id)
        WHERE (o.follower_id, o.occurred_at, o.platform, o.workspace_id)
              IS DISTINCT FROM (n.follower_id, n.occurred_at, n.platform, n.workspace_id)
        $q$ INTO touched;
    ELSE
        SELECT array_agg(DISTINCT o.follower_id) INTO touched
        FROM old_rows o JOIN workspaces w ON w.id = o.workspace_id;
    END IF;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_retention_rebuild(touched);
    END IF;
    RETURN NULL;
END
$$;


CREATE OR REPLACE FUNCTION fanlens_daily_counts_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
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
      AND d.platform = g.platform AND d.day = g.day AND d.interaction_type = g.interaction_type
    $q$;
    EXECUTE $q$
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
        SET interaction_count = d.interaction_count + EXCLUDED.interaction_count
    $q$;
    DELETE FROM interaction_daily_counts d
    USING (SELECT DISTINCT workspace_id FROM old_rows) w
    WHERE d.workspace_id = w.workspace_id AND d.interaction_count <= 0;
    RETURN NULL;
END
$$;


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
        FROM old_rows o JOIN new_rows n ON n.id = o.id
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


CREATE OR REPLACE FUNCTION fanlens_post_content_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
    UPDATE follower_interactions fi
    SET content_id = n.content_id
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE fi.content_post_id = n.id AND n.content_id IS DISTINCT FROM o.content_id
    $q$;
    RETURN NULL;
END
$$;

