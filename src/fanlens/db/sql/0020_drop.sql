-- Back to 0016's tier rollup.

CREATE OR REPLACE FUNCTION fanlens_tier_counts_scores_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO follower_tier_counts AS t (workspace_id, platform, tier, followers, interactions)
        SELECT d.workspace_id, d.platform, d.tier, sum(d.followers), sum(d.interactions)
        FROM (SELECT n.workspace_id, f.platform, x.tier, x.followers, x.interactions
              FROM new_rows n JOIN followers f ON f.id = n.follower_id
              CROSS JOIN LATERAL (VALUES ('inactive', -1, 0::bigint),
                                         (n.engagement_tier, 1, n.interaction_count))
                  AS x (tier, followers, interactions)) d
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, platform, tier) DO UPDATE
            SET followers = t.followers + EXCLUDED.followers,
                interactions = t.interactions + EXCLUDED.interactions;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old rows out, new rows in; unchanged rows cancel in the sum. No join of the two
        -- transition tables: they carry no statistics, and a nested loop over a rescore's
        -- 100 000 rows each way ran for minutes.
        INSERT INTO follower_tier_counts AS t (workspace_id, platform, tier, followers, interactions)
        SELECT d.workspace_id, d.platform, d.tier, sum(d.followers), sum(d.interactions)
        FROM (SELECT o.workspace_id, f.platform, o.engagement_tier AS tier, -1 AS followers,
                     -o.interaction_count AS interactions
              FROM old_rows o JOIN followers f ON f.id = o.follower_id
              UNION ALL
              SELECT n.workspace_id, f.platform, n.engagement_tier, 1, n.interaction_count
              FROM new_rows n JOIN followers f ON f.id = n.follower_id) d
        GROUP BY 1, 2, 3
        HAVING sum(d.followers) <> 0 OR sum(d.interactions) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, platform, tier) DO UPDATE
            SET followers = t.followers + EXCLUDED.followers,
                interactions = t.interactions + EXCLUDED.interactions;
    ELSE
        INSERT INTO follower_tier_counts AS t (workspace_id, platform, tier, followers, interactions)
        SELECT d.workspace_id, d.platform, d.tier, sum(d.followers), sum(d.interactions)
        FROM (SELECT o.workspace_id, f.platform, x.tier, x.followers, x.interactions
              FROM old_rows o JOIN followers f ON f.id = o.follower_id
              CROSS JOIN LATERAL (VALUES (o.engagement_tier, -1, -o.interaction_count),
                                         ('inactive', 1, 0::bigint))
                  AS x (tier, followers, interactions)) d
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (workspace_id, platform, tier) DO UPDATE
            SET followers = t.followers + EXCLUDED.followers,
                interactions = t.interactions + EXCLUDED.interactions;
    END IF;
    RETURN NULL;
END
$$;

