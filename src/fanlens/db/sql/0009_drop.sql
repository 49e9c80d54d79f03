-- Undo migration 0009's trigger and function.
DROP TRIGGER IF EXISTS trg_follower_interactions_delete_sentiments ON follower_interactions;
DROP FUNCTION IF EXISTS fanlens_interactions_delete_sentiments();
