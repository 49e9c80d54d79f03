"""Every PostgreSQL advisory lock fanlens takes, in one place so no two share an id.

Two-key locks, `pg_advisory_lock(class, hashtext(key))`: the class below names what is
locked, the second key is the hash of the locked row's id. The one single-key lock, the job
queue's schema, lives in PostgreSQL's other key space (one- and two-key locks never collide).
"""

from __future__ import annotations

QUEUE_SCHEMA = 7_310_001  # single key: applying procrastinate's schema, one caller at a time
OUTREACH_CAMPAIGN = 7_310_011  # one deliverer per campaign (session-level)
OUTREACH_PERSON = 7_310_012  # one message to a person at a time, across campaigns
OUTREACH_CHANNEL = 7_310_013  # a workspace's channel: its rate and daily cap
CONTENT_AUTO_LINK = 7_310_021  # one auto-link run per workspace
PEOPLE_REFRESH = 7_310_031  # one suggestion refresh (and its auto-merges) per workspace
ACCOUNT_SYNC = 0x66616E6C  # "fanl": one sync per connected account (session-level)
ACCOUNT_LIVE = 7_310_041  # one live listener per connected account, across workers (session)
