"""The CSV export of every follower, over a real socket: streamed (chunked, read through a
server-side cursor in batches) and complete — each follower once, with its stored fields, in the
list's order."""

from __future__ import annotations

import csv
import uuid

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from fanlens.auth import service as auth_service
from fanlens.kit.sql import STREAM_BATCH
from fanlens.server.app import create_app
from tests.api.conftest import API
from tests.connectors.asgi_server import serve

FOLLOWERS = 2 * STREAM_BATCH + 345  # three cursor batches, the last one partial

WORLD = [
    """INSERT INTO followers (workspace_id, platform, external_user_id, username, display_name)
       SELECT :ws, (ARRAY['tiktok','youtube','bluesky'])[1 + n % 3], 'u' || n, 'fan_' || n,
              'Fan, "' || n || '"'
       FROM generate_series(1, :n) n""",
    # Every third follower comments 1-7 times: a spread of scores, many ties, many zeros.
    """INSERT INTO follower_interactions (workspace_id, follower_id, platform, interaction_type,
           occurred_at, dedup_key)
       SELECT f.workspace_id, f.id, f.platform, 'comment',
              now() - k * interval '1 hour', gen_random_uuid()
       FROM followers f
       CROSS JOIN LATERAL generate_series(1, 1 + substr(f.external_user_id, 2)::int % 7) k
       WHERE f.workspace_id = :ws AND substr(f.external_user_id, 2)::int % 3 = 0""",
]

EXPECTED = """
    SELECT f.id::text, f.username, f.display_name, coalesce(s.engagement_score, 0),
           coalesce(s.comment_count, 0)
    FROM followers f LEFT JOIN follower_engagement_scores s ON s.follower_id = f.id
    WHERE f.workspace_id = :ws"""


def test_every_follower_streams_once_in_order(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url)
    with Session(engine) as session:
        ws = session.execute(
            text("INSERT INTO workspaces (name) VALUES ('export') RETURNING id")
        ).scalar_one()
        for sql in WORLD:
            session.execute(text(sql), {"ws": ws, "n": FOLLOWERS})
        token = auth_service.create(session=session, workspace_id=ws, name="t", scope="read")
        session.commit()
        stored = {r[0]: r[1:] for r in session.execute(text(EXPECTED), {"ws": ws})}
    with (
        serve(create_app(engine)) as base,
        httpx.stream(
            "GET",
            f"{base}{API}/followers?format=csv",
            headers={"Authorization": f"Bearer {token.secret}"},
            timeout=60,
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        rows = list(csv.DictReader(response.iter_lines()))
    engine.dispose()

    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == FOLLOWERS
    assert set(ids) == set(stored)
    for row in rows:
        username, display_name, score, comments = stored[row["id"]]
        assert (row["username"], row["display_name"]) == (username, display_name)
        assert float(row["engagement_score"]) == float(score)
        assert int(row["comment_count"]) == comments
    assert sum(1 for row in rows if float(row["engagement_score"]) > 0) == FOLLOWERS // 3
    order = [(float(row["engagement_score"]), uuid.UUID(row["id"])) for row in rows]
    assert order == sorted(order, reverse=True)  # score, then id, both descending
