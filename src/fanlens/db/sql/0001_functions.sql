-- fanlens core functions and triggers (migration 0001).

-- The origin's scoring formula. Per-workspace weights arrive as an overload taking a workspace id.
CREATE FUNCTION calculate_engagement_score(
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

CREATE FUNCTION determine_engagement_tier(p_score numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_score >= 500 THEN 'super_fan'
        WHEN p_score >= 100 THEN 'active'
        WHEN p_score >= 10 THEN 'lurker'
        ELSE 'inactive'
    END
$$;

CREATE FUNCTION fanlens_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_workspaces_updated_at BEFORE UPDATE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();
CREATE TRIGGER trg_content_items_updated_at BEFORE UPDATE ON content_items
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();
CREATE TRIGGER trg_content_posts_updated_at BEFORE UPDATE ON content_posts
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();
CREATE TRIGGER trg_content_tags_updated_at BEFORE UPDATE ON content_tags
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();
CREATE TRIGGER trg_followers_updated_at BEFORE UPDATE ON followers
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();

-- Recompute score rows of the given followers from their per-type counts. Set-based: the cost
-- grows with the number of followers touched, not with the size of the interaction log.
CREATE FUNCTION fanlens_refresh_scores(p_follower_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM follower_engagement_scores s
    WHERE s.follower_id = ANY (p_follower_ids)
      AND NOT EXISTS (SELECT 1 FROM follower_interaction_counts c
                      WHERE c.follower_id = s.follower_id);

    INSERT INTO follower_engagement_scores AS s (
        follower_id, workspace_id, engagement_score, engagement_tier,
        comment_count, like_count, share_count, save_count, profile_visit_count,
        link_click_count, other_count, interaction_count,
        first_interaction_at, last_interaction_at, computed_at)
    SELECT t.follower_id, t.workspace_id,
           calculate_engagement_score(t.comments, t.likes, t.shares, t.saves, t.visits, t.clicks),
           determine_engagement_tier(
               calculate_engagement_score(t.comments, t.likes, t.shares, t.saves, t.visits, t.clicks)),
           t.comments, t.likes, t.shares, t.saves, t.visits, t.clicks,
           t.total - (t.comments + t.likes + t.shares + t.saves + t.visits + t.clicks),
           t.total, t.first_at, t.last_at, now()
    FROM (
        SELECT c.follower_id, min(c.workspace_id::text)::uuid AS workspace_id,
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
        WHERE c.follower_id = ANY (p_follower_ids)
        GROUP BY c.follower_id
    ) t
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
        computed_at = EXCLUDED.computed_at;
$$;

-- Rebuild the per-type counts of the given followers from the interaction log.
CREATE FUNCTION fanlens_rebuild_counts(p_follower_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM follower_interaction_counts WHERE follower_id = ANY (p_follower_ids);
    INSERT INTO follower_interaction_counts (
        follower_id, interaction_type, workspace_id, interaction_count,
        first_interaction_at, last_interaction_at)
    SELECT i.follower_id, i.interaction_type, min(i.workspace_id::text)::uuid, count(*),
           min(i.occurred_at), max(i.occurred_at)
    FROM follower_interactions i
    WHERE i.follower_id = ANY (p_follower_ids)
    GROUP BY i.follower_id, i.interaction_type;
$$;

-- New interactions: add their counts (a delta, so a batch costs what the batch holds), move the
-- followers' first/last seen times, and refresh the touched followers' scores.
CREATE FUNCTION fanlens_interactions_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    INSERT INTO follower_interaction_counts AS c (
        follower_id, interaction_type, workspace_id, interaction_count,
        first_interaction_at, last_interaction_at)
    SELECT n.follower_id, n.interaction_type, min(n.workspace_id::text)::uuid, count(*),
           min(n.occurred_at), max(n.occurred_at)
    FROM new_rows n
    GROUP BY n.follower_id, n.interaction_type
    ORDER BY 1, 2  -- a fixed lock order, so concurrent batches cannot deadlock here
    ON CONFLICT (follower_id, interaction_type) DO UPDATE SET
        interaction_count = c.interaction_count + EXCLUDED.interaction_count,
        first_interaction_at = least(c.first_interaction_at, EXCLUDED.first_interaction_at),
        last_interaction_at = greatest(c.last_interaction_at, EXCLUDED.last_interaction_at);

    UPDATE followers f
    SET first_seen_at = least(f.first_seen_at, t.first_at),
        last_seen_at = greatest(f.last_seen_at, t.last_at)
    FROM (SELECT follower_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at
          FROM new_rows GROUP BY follower_id) t
    WHERE f.id = t.follower_id
      AND (f.first_seen_at IS NULL OR f.last_seen_at IS NULL
           OR t.first_at < f.first_seen_at OR t.last_at > f.last_seen_at);

    SELECT array_agg(DISTINCT follower_id) INTO touched FROM new_rows;
    IF touched IS NOT NULL THEN
        PERFORM fanlens_refresh_scores(touched);
    END IF;
    RETURN NULL;
END
$$;

-- Deleted or changed interactions are rare (corrections, cascades): rebuild the touched
-- followers' counts from the log rather than subtracting, so first/last times stay exact.
CREATE FUNCTION fanlens_interactions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched uuid[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.follower_id) INTO touched
        FROM old_rows o JOIN followers f ON f.id = o.follower_id;
    ELSE
        -- Only changes that move counts matter (not, say, a content relink or a text edit).
        SELECT array_agg(DISTINCT x.follower_id) INTO touched
        FROM (SELECT o.follower_id, n.follower_id AS new_follower_id
              FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE (o.follower_id, o.interaction_type, o.occurred_at)
                    IS DISTINCT FROM (n.follower_id, n.interaction_type, n.occurred_at)) d
        CROSS JOIN LATERAL (VALUES (d.follower_id), (d.new_follower_id)) AS x(follower_id)
        JOIN followers f ON f.id = x.follower_id;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
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
    PERFORM fanlens_refresh_scores(touched);
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_follower_interactions_inserted AFTER INSERT ON follower_interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_inserted();
CREATE TRIGGER trg_follower_interactions_deleted AFTER DELETE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_changed();
CREATE TRIGGER trg_follower_interactions_updated AFTER UPDATE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_changed();

-- Interactions carry their post's content id (the views group by it); keep it in step when a
-- post is linked to another content item.
CREATE FUNCTION fanlens_post_content_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE follower_interactions fi
    SET content_id = n.content_id
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE fi.content_post_id = n.id AND n.content_id IS DISTINCT FROM o.content_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_content_posts_content_changed AFTER UPDATE ON content_posts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_post_content_changed();

-- follower_interactions has no FOREIGN KEY constraints (per-row checks dominated ingest cost);
-- these statement-level triggers give the same ON DELETE CASCADE, set-based. Deleting a
-- workspace or content item reaches them through the foreign keys of followers and posts.
CREATE FUNCTION fanlens_cascade_interactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'followers' THEN
        DELETE FROM follower_interactions WHERE follower_id IN (SELECT id FROM old_rows);
    ELSIF TG_TABLE_NAME = 'content_posts' THEN
        DELETE FROM follower_interactions WHERE content_post_id IN (SELECT id FROM old_rows);
    ELSE
        DELETE FROM follower_interactions WHERE content_id IN (SELECT id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_followers_cascade AFTER DELETE ON followers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_cascade_interactions();
CREATE TRIGGER trg_content_posts_cascade AFTER DELETE ON content_posts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_cascade_interactions();
CREATE TRIGGER trg_content_items_cascade AFTER DELETE ON content_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_cascade_interactions();
