"""The domain's set-based SQL, kept as SQL so a reviewer reads it as such."""

from fanlens.sentiment.models import TEXT_FILTER

EFFECTIVE = "coalesce(s.corrected_label, s.label)"
TEXT_OF_I = "i." + TEXT_FILTER.replace(" AND ", " AND i.")
# The summaries walk every text interaction and join its sentiment when there is one, so a
# comment not analysed yet is counted as pending rather than left out.
COUNTS = f"""count(s.interaction_id) AS total,
       count(*) FILTER (WHERE s.interaction_id IS NULL) AS pending,
       count(*) FILTER (WHERE {EFFECTIVE} = 'positive') AS positive,
       count(*) FILTER (WHERE {EFFECTIVE} = 'neutral') AS neutral,
       count(*) FILTER (WHERE {EFFECTIVE} = 'negative') AS negative,
       avg(s.score) FILTER (WHERE s.label <> 'unsupported_language') AS mean_score"""

# Un-analysed text interactions after :after (keyset, so a long run never re-walks what it
# passed), locked so that concurrent runs split the work: rows another run holds are skipped.
CLAIM_PENDING = f"""
SELECT i.id, i.interaction_value AS text, i.occurred_at
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id
WHERE i.workspace_id = :ws AND {TEXT_OF_I}
  AND i.id > :after AND s.interaction_id IS NULL
ORDER BY i.id
LIMIT :n
FOR UPDATE OF i SKIP LOCKED
"""

# Every text interaction (re-analysis), same keyset walk and locks.
CLAIM_ALL = f"""
SELECT i.id, i.interaction_value AS text, i.occurred_at
FROM follower_interactions i
WHERE i.workspace_id = :ws AND {TEXT_OF_I} AND i.id > :after
ORDER BY i.id
LIMIT :n
FOR UPDATE OF i SKIP LOCKED
"""

# Of the rows just locked, those still un-analysed. This statement's snapshot is newer than the
# claim's: a run that analysed one of them and committed before our lock is seen here.
STILL_PENDING = """
SELECT u.id FROM unnest(CAST(:ids AS uuid[])) AS u(id)
WHERE NOT EXISTS (SELECT 1 FROM comment_sentiments s WHERE s.interaction_id = u.id)
"""

# Followers that are the creator's own accounts (matched by platform id or handle).
CREATOR_FOLLOWERS = """
SELECT f.id FROM followers f
JOIN accounts a ON a.workspace_id = f.workspace_id AND a.platform = f.platform
 AND (a.external_id = f.external_user_id
      OR ltrim(lower(a.handle), '@') = ltrim(lower(f.username), '@'))
WHERE f.workspace_id = :ws
"""

# Questions on a content item that no creator account replied to. Comments and mentions ask
# the creator; a reply asks the creator only when it answers one of the creator's own replies.
UNANSWERED = f"""
WITH creator AS ({CREATOR_FOLLOWERS})
SELECT q.id AS interaction_id, q.follower_id, f.username, q.platform, q.interaction_type,
       q.interaction_value AS text, q.occurred_at, s.language
FROM follower_interactions q
JOIN comment_sentiments s ON s.interaction_id = q.id AND s.is_question
JOIN followers f ON f.id = q.follower_id
WHERE q.workspace_id = :ws AND q.content_id = :content
  AND q.follower_id NOT IN (SELECT id FROM creator)
  AND (q.interaction_type IN ('comment', 'mention', 'quote')
       OR EXISTS (SELECT 1 FROM follower_interactions p
                  WHERE p.workspace_id = q.workspace_id AND p.platform = q.platform
                    AND p.external_id = q.parent_external_id
                    AND p.follower_id IN (SELECT id FROM creator)))
  AND (q.external_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM follower_interactions r
                      WHERE r.workspace_id = q.workspace_id AND r.platform = q.platform
                        AND r.parent_external_id = q.external_id
                        AND r.follower_id IN (SELECT id FROM creator)))
ORDER BY q.occurred_at, q.id
LIMIT :limit
"""

CONTENT_TOTALS = f"""
SELECT {COUNTS},
       count(*) FILTER (WHERE {EFFECTIVE} = 'unsupported_language') AS unsupported_language,
       count(*) FILTER (WHERE s.is_question) AS questions
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id
WHERE i.workspace_id = :ws AND i.content_id = :content AND {TEXT_OF_I}
"""

CONTENT_TREND = f"""
SELECT date_trunc(:bucket, i.occurred_at AT TIME ZONE 'UTC')::date AS period, {COUNTS}
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id
WHERE i.workspace_id = :ws AND i.content_id = :content AND {TEXT_OF_I}
GROUP BY 1 ORDER BY 1
"""

# A follower's mood: their latest :n comments, of which the analysed ones give the labels.
FOLLOWER_MOOD = f"""
SELECT {COUNTS}, max(i.occurred_at) AS last_comment_at
FROM (SELECT i.id, i.occurred_at
      FROM follower_interactions i
      WHERE i.workspace_id = :ws AND i.follower_id = :follower AND {TEXT_OF_I}
      ORDER BY i.occurred_at DESC LIMIT :n) i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id
"""

PLATFORMS = f"""
SELECT i.platform, {COUNTS}
FROM follower_interactions i
LEFT JOIN comment_sentiments s ON s.interaction_id = i.id
WHERE i.workspace_id = :ws AND i.occurred_at >= :since AND {TEXT_OF_I}
GROUP BY i.platform ORDER BY i.platform
"""

# Per content item: the day's negative count and share, and the share over the days before.
DAILY_NEGATIVE = f"""
WITH daily AS (
    SELECT i.content_id, (i.occurred_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE {EFFECTIVE} = 'negative') AS negative,
           count(*) FILTER (WHERE {EFFECTIVE} <> 'unsupported_language') AS judged
    FROM follower_interactions i
    JOIN comment_sentiments s ON s.interaction_id = i.id
    WHERE i.workspace_id = :ws AND i.content_id IS NOT NULL
      AND i.occurred_at >= :start AND i.occurred_at < :end
    GROUP BY 1, 2)
SELECT d.content_id, d.negative, d.judged,
       coalesce(sum(b.negative)::numeric / nullif(sum(b.judged), 0), 0) AS baseline_share
FROM daily d
LEFT JOIN daily b ON b.content_id = d.content_id AND b.day < d.day
WHERE d.day = :day AND d.judged > 0
GROUP BY d.content_id, d.negative, d.judged
ORDER BY d.content_id
"""

EXPORT_CORRECTED = """
SELECT s.interaction_id, i.platform, i.interaction_type, i.interaction_value AS text,
       s.language, s.label AS analyser_label, s.score, s.analyser, s.analyser_version,
       s.corrected_label AS label, s.corrected_by, s.corrected_at
FROM comment_sentiments s
JOIN follower_interactions i ON i.id = s.interaction_id
WHERE s.workspace_id = :ws AND s.corrected_label IS NOT NULL
ORDER BY s.corrected_at, s.interaction_id
"""
