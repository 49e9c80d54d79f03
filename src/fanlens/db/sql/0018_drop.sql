-- 0003's fanlens_refresh_scores.
CREATE OR REPLACE FUNCTION fanlens_refresh_scores(p_follower_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM followers f WHERE f.id = ANY (p_follower_ids) ORDER BY f.id
        FOR NO KEY UPDATE;
    PERFORM fanlens_score_followers(p_follower_ids, NULL);
END
$$;

DROP FUNCTION fanlens_score_follower_list(uuid[]);
