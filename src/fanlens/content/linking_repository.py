"""SQL of content linking: the posts a link can join, the decisions taken and the moves they
made."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from fanlens.kit import locks

_POST_COLUMNS = """p.id, p.platform, p.external_post_id, p.caption, p.posted_at, p.content_id,
                   ci.title"""
_LINKABLE = text(
    f"""
    SELECT {_POST_COLUMNS}
    FROM content_posts p
    JOIN content_items ci ON ci.id = p.content_id AND ci.workspace_id = p.workspace_id
    WHERE p.workspace_id = :ws AND p.posted_at IS NOT NULL AND NOT p.is_placeholder
    ORDER BY p.posted_at, p.id
    """
)
_DECISION_COLUMNS = (
    "id, post_id, other_post_id, decision, moved_post_id, previous_content_id, decided_at"
)


def lock_auto_link(session: Session, workspace_id: uuid.UUID) -> None:
    """Held to the end of the transaction, so automatic linking reads what the last one did."""
    stmt = text("SELECT pg_advisory_xact_lock(:cls, hashtext(CAST(:ws AS text)))")
    session.execute(stmt, {"cls": locks.CONTENT_AUTO_LINK, "ws": workspace_id})


def linkable_posts(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    return session.execute(_LINKABLE, {"ws": workspace_id}).all()


def posts_by_id(
    session: Session, workspace_id: uuid.UUID, ids: list[uuid.UUID]
) -> Sequence[Row[Any]]:
    stmt = text(
        f"""SELECT {_POST_COLUMNS} FROM content_posts p
            JOIN content_items ci ON ci.id = p.content_id AND ci.workspace_id = p.workspace_id
            WHERE p.workspace_id = :ws AND p.id = ANY (CAST(:ids AS uuid[]))"""
    )
    return session.execute(stmt, {"ws": workspace_id, "ids": ids}).all()


def rejected_pairs(session: Session, workspace_id: uuid.UUID) -> set[tuple[uuid.UUID, uuid.UUID]]:
    stmt = text(
        """SELECT post_id, other_post_id FROM content_link_decisions
           WHERE workspace_id = :ws AND decision = 'rejected'"""
    )
    return {(r.post_id, r.other_post_id) for r in session.execute(stmt, {"ws": workspace_id})}


def item_posts(
    session: Session, workspace_id: uuid.UUID, item_ids: list[uuid.UUID]
) -> Sequence[Row[Any]]:
    stmt = text(
        """SELECT id, content_id, platform FROM content_posts
           WHERE workspace_id = :ws AND content_id = ANY (CAST(:items AS uuid[]))"""
    )
    return session.execute(stmt, {"ws": workspace_id, "items": item_ids}).all()


def record_decision(session: Session, *, workspace_id: uuid.UUID, **values: Any) -> Row[Any]:
    """One decision per pair: a new answer replaces the old one."""
    stmt = text(
        f"""
        INSERT INTO content_link_decisions (workspace_id, post_id, other_post_id, decision,
                                            moved_post_id, previous_content_id)
        VALUES (:ws, :post_id, :other_post_id, :decision, :moved_post_id, :previous_content_id)
        ON CONFLICT (workspace_id, post_id, other_post_id) DO UPDATE SET
            decision = EXCLUDED.decision, moved_post_id = EXCLUDED.moved_post_id,
            previous_content_id = EXCLUDED.previous_content_id, decided_at = now()
        RETURNING {_DECISION_COLUMNS}
        """
    )
    return session.execute(stmt, {"ws": workspace_id, **values}).one()


def move_post(session: Session, *, post_id: uuid.UUID, content_id: uuid.UUID) -> None:
    """The content_posts triggers carry the post's interactions and the items' totals along."""
    stmt = text("UPDATE content_posts SET content_id = :content WHERE id = :id")
    session.execute(stmt, {"content": content_id, "id": post_id})


def latest_accepted(
    session: Session, workspace_id: uuid.UUID, post_id: uuid.UUID
) -> Row[Any] | None:
    stmt = text(
        f"""SELECT {_DECISION_COLUMNS} FROM content_link_decisions
            WHERE workspace_id = :ws AND moved_post_id = :post AND decision = 'accepted'
            ORDER BY decided_at DESC LIMIT 1"""
    )
    return session.execute(stmt, {"ws": workspace_id, "post": post_id}).one_or_none()


def mark_rejected(session: Session, *, decision_id: uuid.UUID) -> Row[Any]:
    stmt = text(
        f"""UPDATE content_link_decisions
            SET decision = 'rejected', decided_at = now()
            WHERE id = :id RETURNING {_DECISION_COLUMNS}"""
    )
    return session.execute(stmt, {"id": decision_id}).one()


def list_decisions(session: Session, workspace_id: uuid.UUID) -> Sequence[Row[Any]]:
    stmt = text(
        f"""SELECT {_DECISION_COLUMNS} FROM content_link_decisions WHERE workspace_id = :ws
            ORDER BY decided_at DESC, id"""
    )
    return session.execute(stmt, {"ws": workspace_id}).all()
