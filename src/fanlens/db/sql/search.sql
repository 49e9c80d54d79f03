-- Username search. `lower(username) LIKE '%…%'` (the followers list and its tier counts) can
-- read a trigram index where the server has pg_trgm, as Debian's and most managed PostgreSQL
-- servers do; the embedded server does not, and there a search reads every follower of the
-- workspace. The extension goes to a schema of its own, extensions, so the public schema holds
-- fanlens's objects alone. A role that may not create it leaves search as without it.
DO $$
DECLARE
    ops text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        RETURN;
    END IF;
    BEGIN
        CREATE SCHEMA IF NOT EXISTS extensions;
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN;
    END;
    -- Wherever it lives: a server may have had pg_trgm in another schema already.
    SELECT n.nspname INTO ops
    FROM pg_opclass c
    JOIN pg_namespace n ON n.oid = c.opcnamespace
    JOIN pg_am a ON a.oid = c.opcmethod
    WHERE c.opcname = 'gin_trgm_ops' AND a.amname = 'gin';
    EXECUTE format('CREATE INDEX IF NOT EXISTS ix_followers_username_trgm ON followers '
                   'USING gin (lower(username) %I.gin_trgm_ops)', ops);
END
$$;
