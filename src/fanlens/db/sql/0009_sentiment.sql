-- Comment sentiments follow their interaction (migration 0009). follower_interactions has no
-- FOREIGN KEYs by design, so deletes cascade here the way 0001's triggers do: once per
-- statement, set-based, through the transition table.
CREATE FUNCTION fanlens_interactions_delete_sentiments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM comment_sentiments
    WHERE interaction_id IN (
        SELECT id FROM old_rows
        WHERE interaction_type IN ('comment', 'reply', 'quote', 'mention'));
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_follower_interactions_delete_sentiments AFTER DELETE ON follower_interactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_interactions_delete_sentiments();
