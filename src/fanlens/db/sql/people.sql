-- People: every follower belongs to exactly one person.

-- New followers get a person each, once per statement (ingest inserts followers in one
-- INSERT ... ON CONFLICT per batch): the person's id is the follower's id, so both inserts are
-- a plain copy of the transition table, with no per-row function calls. Rows that ON CONFLICT
-- updated are not in the INSERT transition table, so known followers keep their person.
CREATE OR REPLACE FUNCTION fanlens_people_for_new_followers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO people (id, workspace_id)
    SELECT n.id, n.workspace_id FROM new_followers n;
    INSERT INTO person_identities (follower_id, person_id, workspace_id)
    SELECT n.id, n.id, n.workspace_id FROM new_followers n;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER followers_people
    AFTER INSERT ON followers
    REFERENCING NEW TABLE AS new_followers
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_people_for_new_followers();

-- Reach tier of an identity from its platform follower count.
CREATE OR REPLACE FUNCTION fanlens_reach_tier(p_follower_count bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_follower_count IS NULL THEN NULL
        WHEN p_follower_count < 10000 THEN 'nano'
        WHEN p_follower_count < 100000 THEN 'micro'
        WHEN p_follower_count < 1000000 THEN 'macro'
        ELSE 'mega' END
$$;

-- A person's engagement: the sum of their identities' stored scores. Scores are sums of
-- per-interaction points under the workspace's weights, so this equals scoring all the
-- person's interactions together. A person's last interaction is their identities' last
-- exact-time one (the scores' own last time also counts observed ones, which carry the time a
-- sync saw them).
CREATE OR REPLACE VIEW person_engagement AS
    SELECT pi.workspace_id, pi.person_id,
           count(*)::int AS identity_count,
           coalesce(sum(s.engagement_score), 0) AS engagement_score,
           coalesce(sum(s.interaction_count), 0)::bigint AS interaction_count,
           coalesce(sum(s.comment_count), 0)::bigint AS comment_count,
           max(f.follower_count) AS max_reach,
           max(f.last_seen_at) AS last_interaction_at
    FROM person_identities pi
    JOIN followers f ON f.id = pi.follower_id AND f.workspace_id = pi.workspace_id
    LEFT JOIN follower_engagement_scores s
        ON s.follower_id = pi.follower_id AND s.workspace_id = pi.workspace_id
    GROUP BY pi.workspace_id, pi.person_id;
