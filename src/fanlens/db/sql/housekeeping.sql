-- Housekeeping: updated_at stamps, and the cascades from followers, posts and content items to
-- the interaction log, which has no foreign keys.

CREATE OR REPLACE FUNCTION fanlens_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER trg_workspaces_updated_at BEFORE UPDATE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();

CREATE OR REPLACE TRIGGER trg_content_items_updated_at BEFORE UPDATE ON content_items
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();

CREATE OR REPLACE TRIGGER trg_content_posts_updated_at BEFORE UPDATE ON content_posts
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();

CREATE OR REPLACE TRIGGER trg_content_tags_updated_at BEFORE UPDATE ON content_tags
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();

CREATE OR REPLACE TRIGGER trg_followers_updated_at BEFORE UPDATE ON followers
    FOR EACH ROW EXECUTE FUNCTION fanlens_set_updated_at();

-- follower_interactions has no FOREIGN KEY constraints (per-row checks dominated ingest cost);
-- these statement-level triggers give the same ON DELETE CASCADE, set-based. Deleting a
-- workspace or content item reaches them through the foreign keys of followers and posts.
CREATE OR REPLACE FUNCTION fanlens_cascade_interactions() RETURNS trigger
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

CREATE OR REPLACE TRIGGER trg_followers_cascade AFTER DELETE ON followers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_cascade_interactions();

CREATE OR REPLACE TRIGGER trg_content_posts_cascade AFTER DELETE ON content_posts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_cascade_interactions();

CREATE OR REPLACE TRIGGER trg_content_items_cascade AFTER DELETE ON content_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_cascade_interactions();

-- Interactions carry their post's content id (the views group by it); keep it in step when a
-- post is linked to another content item.
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

CREATE OR REPLACE TRIGGER trg_content_posts_content_changed AFTER UPDATE ON content_posts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_post_content_changed();
