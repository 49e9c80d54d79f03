-- Undo migration 0012's triggers and functions.
DROP TRIGGER IF EXISTS trg_follower_interactions_retention_inserted ON follower_interactions;
DROP TRIGGER IF EXISTS trg_follower_interactions_retention_deleted ON follower_interactions;
DROP TRIGGER IF EXISTS trg_follower_interactions_retention_updated ON follower_interactions;
DROP FUNCTION IF EXISTS fanlens_retention_changed();
DROP FUNCTION IF EXISTS fanlens_retention_inserted();
DROP FUNCTION IF EXISTS fanlens_retention_rebuild_workspace(uuid);
DROP FUNCTION IF EXISTS fanlens_retention_rebuild(uuid[]);
DROP FUNCTION IF EXISTS fanlens_retention_apply(uuid[], integer);
