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
