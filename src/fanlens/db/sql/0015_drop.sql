DROP TRIGGER IF EXISTS trg_follower_interactions_daily_inserted ON follower_interactions;
DROP TRIGGER IF EXISTS trg_follower_interactions_daily_deleted ON follower_interactions;
DROP TRIGGER IF EXISTS trg_follower_interactions_daily_updated ON follower_interactions;
DROP FUNCTION IF EXISTS fanlens_daily_counts_inserted(), fanlens_daily_counts_deleted(),
    fanlens_daily_counts_updated();
