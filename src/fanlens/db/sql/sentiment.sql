-- Comment sentiments follow their interaction. follower_interactions has no foreign keys by
-- design, so deletes cascade here as in housekeeping.sql: once per statement, set-based,
-- through the transition table.

CREATE OR REPLACE FUNCTION fanlens_interactions_delete_sentiments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM comment_sentiments
    WHERE interaction_id IN (
        SELECT id FROM old_rows
        WHERE interaction_type IN ('comment', 'reply', 'quote', 'mention'));
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER trg_follower_interactions_delete_sentiments
    AFTER DELETE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_delete_sentiments();

-- An edited text is a new text: its verdict (and a person's correction of the old words) goes,
-- so the comment is pending again and the next analysis run judges the words it now holds.
CREATE OR REPLACE FUNCTION fanlens_interactions_edit_sentiments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM comment_sentiments
    WHERE (interaction_id, workspace_id) IN (
        SELECT n.id, n.workspace_id FROM new_rows n
        JOIN old_rows o ON o.id = n.id AND o.workspace_id = n.workspace_id
        WHERE n.interaction_value IS DISTINCT FROM o.interaction_value);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER trg_follower_interactions_edit_sentiments
    AFTER UPDATE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_edit_sentiments();
