-- Posts per platform: applied once platform_post_totals exists (fanlens.db.sql.REQUIRES).

-- platform_post_totals: per workspace and platform, the posts and their summed reported metrics,
-- so the content page's platform rates and the best-platform comparison read a few rows instead
-- of every post of the workspace (25 000 on the large world). Kept as deltas: old rows out, new
-- rows in, summed per platform; a relink (a post moved to another item) changes nothing here and
-- writes nothing. `*_reported` count the posts that report the metric (its sum is NULL without
-- any, as sum() over the posts gives); `viewed_*` are over the posts with views > 0.
CREATE OR REPLACE FUNCTION fanlens_platform_post_totals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    moves text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, n.* FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, o.* FROM old_rows o'
        ELSE 'SELECT -1 AS sign, o.* FROM old_rows o UNION ALL SELECT 1, n.* FROM new_rows n'
    END;
BEGIN
    -- Only workspaces that still exist: deleting a workspace deletes its totals by the cascade,
    -- and a write naming it would fail its foreign key.
    EXECUTE format($q$
    INSERT INTO platform_post_totals AS t (
        workspace_id, platform, posts, views, views_reported, likes, likes_reported, comments,
        comments_reported, shares, shares_reported, saves, saves_reported, viewed_posts,
        viewed_views, viewed_engagement)
    SELECT x.* FROM (
        SELECT d.workspace_id, d.platform, sum(d.sign) AS posts,
               coalesce(sum(d.sign * d.views), 0) AS views,
               count(d.views) FILTER (WHERE d.sign > 0)
                   - count(d.views) FILTER (WHERE d.sign < 0) AS views_reported,
               coalesce(sum(d.sign * d.likes), 0) AS likes,
               count(d.likes) FILTER (WHERE d.sign > 0)
                   - count(d.likes) FILTER (WHERE d.sign < 0) AS likes_reported,
               coalesce(sum(d.sign * d.comments), 0) AS comments,
               count(d.comments) FILTER (WHERE d.sign > 0)
                   - count(d.comments) FILTER (WHERE d.sign < 0) AS comments_reported,
               coalesce(sum(d.sign * d.shares), 0) AS shares,
               count(d.shares) FILTER (WHERE d.sign > 0)
                   - count(d.shares) FILTER (WHERE d.sign < 0) AS shares_reported,
               coalesce(sum(d.sign * d.saves), 0) AS saves,
               count(d.saves) FILTER (WHERE d.sign > 0)
                   - count(d.saves) FILTER (WHERE d.sign < 0) AS saves_reported,
               coalesce(sum(d.sign) FILTER (WHERE d.views > 0), 0) AS viewed_posts,
               coalesce(sum(d.sign * d.views) FILTER (WHERE d.views > 0), 0) AS viewed_views,
               coalesce(sum(d.sign * (coalesce(d.likes, 0) + coalesce(d.comments, 0)
                                      + coalesce(d.shares, 0) + coalesce(d.saves, 0)))
                            FILTER (WHERE d.views > 0), 0) AS viewed_engagement
        FROM (%s) d
        JOIN workspaces w ON w.id = d.workspace_id
        GROUP BY 1, 2) x
    WHERE (x.posts, x.views, x.views_reported, x.likes, x.likes_reported, x.comments,
           x.comments_reported, x.shares, x.shares_reported, x.saves, x.saves_reported,
           x.viewed_posts, x.viewed_views, x.viewed_engagement)
          <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ORDER BY 1, 2
    ON CONFLICT (workspace_id, platform) DO UPDATE
        SET posts = t.posts + EXCLUDED.posts,
            views = t.views + EXCLUDED.views,
            views_reported = t.views_reported + EXCLUDED.views_reported,
            likes = t.likes + EXCLUDED.likes,
            likes_reported = t.likes_reported + EXCLUDED.likes_reported,
            comments = t.comments + EXCLUDED.comments,
            comments_reported = t.comments_reported + EXCLUDED.comments_reported,
            shares = t.shares + EXCLUDED.shares,
            shares_reported = t.shares_reported + EXCLUDED.shares_reported,
            saves = t.saves + EXCLUDED.saves,
            saves_reported = t.saves_reported + EXCLUDED.saves_reported,
            viewed_posts = t.viewed_posts + EXCLUDED.viewed_posts,
            viewed_views = t.viewed_views + EXCLUDED.viewed_views,
            viewed_engagement = t.viewed_engagement + EXCLUDED.viewed_engagement
    $q$, moves);
    -- A platform left without posts holds no row, as in a workspace that never posted there.
    IF TG_OP <> 'INSERT' THEN
        EXECUTE $q$
        DELETE FROM platform_post_totals t
        USING (SELECT DISTINCT workspace_id FROM old_rows) w
        WHERE t.workspace_id = w.workspace_id AND t.posts = 0$q$;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER trg_content_posts_platform_totals_inserted
    AFTER INSERT ON content_posts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_platform_post_totals_changed();
CREATE OR REPLACE TRIGGER trg_content_posts_platform_totals_updated
    AFTER UPDATE ON content_posts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_platform_post_totals_changed();
CREATE OR REPLACE TRIGGER trg_content_posts_platform_totals_deleted
    AFTER DELETE ON content_posts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanlens_platform_post_totals_changed();
