DROP FUNCTION IF EXISTS fanlens_reach_tier(bigint);
DROP VIEW IF EXISTS person_engagement;
DROP TRIGGER IF EXISTS followers_people ON followers;
DROP FUNCTION IF EXISTS fanlens_people_for_new_followers();
