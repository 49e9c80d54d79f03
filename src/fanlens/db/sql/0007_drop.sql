-- Undo migration 0007's triggers and functions (the table is dropped by the migration).
DROP TRIGGER IF EXISTS trg_content_posts_totals_deleted ON content_posts;
DROP TRIGGER IF EXISTS trg_content_posts_totals_updated ON content_posts;
DROP TRIGGER IF EXISTS trg_content_posts_totals_inserted ON content_posts;
DROP TRIGGER IF EXISTS trg_content_items_totals ON content_items;
DROP FUNCTION IF EXISTS fanlens_content_posts_changed(), fanlens_content_items_inserted(),
    fanlens_refresh_content_totals(uuid[]);
