-- Housekeeping: updated_at stamps, the cascades from followers, posts and content items to the
-- interaction log, which has no foreign keys, and the upsert the derived tables are written by.

-- An upsert whose rows replace the stored ones, built as text: `INSERT INTO table (columns)`,
-- the rows (a SELECT), then `ON CONFLICT ON CONSTRAINT pk_<table>` (the key and workspace_id)
-- `DO UPDATE SET` each other column to the proposed value, so a statement lists its columns once. With p_changed_only a stored row equal to the
-- proposed one is left alone: no dead row, no trigger, for a refresh that changes nothing.
CREATE OR REPLACE FUNCTION fanlens_upsert(
    p_table text, p_key text, p_columns text[], p_rows text, p_changed_only boolean
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT format(E'INSERT INTO %I (%s)\n%s\nON CONFLICT ON CONSTRAINT %I DO UPDATE SET %s%s',
                  p_table, string_agg(quote_ident(u.col), ', ' ORDER BY u.n), p_rows,
                  'pk_' || p_table,
                  string_agg(format('%1$I = EXCLUDED.%1$I', u.col), ', ' ORDER BY u.n)
                      FILTER (WHERE u.col NOT IN (p_key, 'workspace_id')),
                  CASE WHEN p_changed_only THEN format(
                      E'\nWHERE (%s)\n      IS DISTINCT FROM\n      (%s)',
                      string_agg(format('%I.%I', p_table, u.col), ', ' ORDER BY u.n)
                          FILTER (WHERE u.col NOT IN (p_key, 'workspace_id')),
                      string_agg(format('EXCLUDED.%I', u.col), ', ' ORDER BY u.n)
                          FILTER (WHERE u.col NOT IN (p_key, 'workspace_id'))) ELSE '' END)
    FROM unnest(p_columns) WITH ORDINALITY AS u(col, n)
$$;

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
-- these statement-level triggers give the same ON DELETE CASCADE, set-based, matching rows by
-- id and workspace_id as a foreign key on (id, workspace_id) would. Deleting a
-- workspace or content item reaches them through the foreign keys of followers and posts.
CREATE OR REPLACE FUNCTION fanlens_cascade_interactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'followers' THEN
        DELETE FROM follower_interactions
        WHERE (follower_id, workspace_id) IN (SELECT id, workspace_id FROM old_rows);
    ELSIF TG_TABLE_NAME = 'content_posts' THEN
        DELETE FROM follower_interactions
        WHERE (content_post_id, workspace_id) IN (SELECT id, workspace_id FROM old_rows);
    ELSE
        DELETE FROM follower_interactions
        WHERE (content_id, workspace_id) IN (SELECT id, workspace_id FROM old_rows);
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
    FROM new_rows n JOIN old_rows o ON o.id = n.id AND o.workspace_id = n.workspace_id
    WHERE fi.content_post_id = n.id AND fi.workspace_id = n.workspace_id
      AND n.content_id IS DISTINCT FROM o.content_id
    $q$;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_content_posts_content_changed AFTER UPDATE ON content_posts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_post_content_changed();
