"""Outreach SQL. Set-based: every query takes the whole list of people at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.kit import locks
from fanlens.outreach.models import (
    OutreachAddress,
    OutreachCampaign,
    OutreachEvent,
    OutreachOptOut,
    OutreachRecipient,
    OutreachSegment,
    OutreachSettings,
)
from fanlens.outreach.schemas import SegmentFilters

TIER_RANK = "array_position(ARRAY['inactive','lurker','active','super_fan'], {})"

PEOPLE = """
WITH pe AS (
    SELECT e.person_id, e.engagement_score, e.last_interaction_at,
           fanlens_tier_for(e.engagement_score, coalesce(cfg.super_fan_threshold, 500),
                            coalesce(cfg.active_threshold, 100),
                            coalesce(cfg.lurker_threshold, 10)) AS tier
    FROM person_engagement e
    JOIN people p ON p.id = e.person_id AND p.workspace_id = e.workspace_id
    LEFT JOIN current_scoring_configs cfg ON cfg.workspace_id = e.workspace_id
    WHERE e.workspace_id = :ws AND p.merged_into_id IS NULL
)
SELECT person_id, engagement_score, tier, last_interaction_at FROM pe WHERE true
"""

_ANY_IDENTITY = (
    " AND EXISTS (SELECT 1 FROM person_identities pi {join} WHERE pi.person_id = pe.person_id"
    " AND pi.workspace_id = :ws AND {cond})"
)


def segment_people(
    session: Session, *, workspace_id: uuid.UUID, filters: SegmentFilters
) -> Sequence[Any]:
    """The people matching every filter, best score first."""
    sql = PEOPLE
    params: dict[str, Any] = {"ws": workspace_id}
    clauses, extra = _filter_clauses(filters)
    sql += "".join(clauses) + " ORDER BY engagement_score DESC, person_id"
    params.update(extra)
    if filters.limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = filters.limit
    return session.execute(text(sql), params).all()


def _filter_clauses(f: SegmentFilters) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if f.tiers:
        clauses.append(" AND tier = ANY(:tiers)")
        params["tiers"] = list(f.tiers)
    if f.min_score is not None:
        clauses.append(" AND engagement_score >= :min_score")
        params["min_score"] = f.min_score
    if f.max_score is not None:
        clauses.append(" AND engagement_score <= :max_score")
        params["max_score"] = f.max_score
    if f.active_within_days:
        clauses.append(" AND last_interaction_at >= now() - make_interval(days => :active_days)")
        params["active_days"] = f.active_within_days
    if f.platforms:
        join = "JOIN followers f ON f.id = pi.follower_id AND f.workspace_id = pi.workspace_id"
        clauses.append(_ANY_IDENTITY.format(join=join, cond="f.platform = ANY(:platforms)"))
        params["platforms"] = list(f.platforms)
    if f.rising_within_days:
        join = (
            "JOIN follower_tier_changes c"
            " ON c.follower_id = pi.follower_id AND c.workspace_id = pi.workspace_id"
        )
        cond = (
            # behaviour at a known time: a new scoring config is not a fan rising
            "c.kind = 'behaviour' AND c.time_precision = 'exact' AND c.from_tier IS NOT NULL"
            " AND c.changed_at >= now() - make_interval(days => :rising)"
            f" AND {TIER_RANK.format('c.to_tier')} > {TIER_RANK.format('c.from_tier')}"
        )
        clauses.append(_ANY_IDENTITY.format(join=join, cond=cond))
        params["rising"] = f.rising_within_days
    if f.tags:
        join = (
            "JOIN follower_interactions i"
            " ON i.follower_id = pi.follower_id AND i.workspace_id = pi.workspace_id "
            "JOIN content_tags t ON t.content_id = i.content_id AND t.workspace_id = i.workspace_id"
        )
        cond = "i.workspace_id = :ws AND t.tag_value = ANY(:tags)"
        clauses.append(_ANY_IDENTITY.format(join=join, cond=cond))
        params["tags"] = list(f.tags)
    if f.sentiment:
        bounds = {"positive": "> 0.05", "negative": "< -0.05", "neutral": "BETWEEN -0.05 AND 0.05"}
        clauses.append(
            " AND (SELECT avg(cs.score) FROM person_identities pi"
            " JOIN follower_interactions i"
            " ON i.follower_id = pi.follower_id AND i.workspace_id = pi.workspace_id"
            " JOIN comment_sentiments cs"
            " ON cs.interaction_id = i.id AND cs.workspace_id = i.workspace_id"
            " WHERE pi.person_id = pe.person_id AND pi.workspace_id = :ws"
            " AND i.occurred_at >= now() - make_interval(days => :sentiment_days)) "
            + bounds[f.sentiment]
        )
        params["sentiment_days"] = f.sentiment_days
    return clauses, params


def identities(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> Sequence[Any]:
    """Every identity of these people, the highest scored first, with profile links."""
    return session.execute(
        text(
            "SELECT pi.person_id, f.id AS follower_id, f.platform, f.username, f.display_name,"
            " f.bio, p.display_name AS person_name, coalesce(s.engagement_score, 0) AS score,"
            " coalesce(ip.links, '[]'::jsonb) AS links"
            " FROM person_identities pi"
            " JOIN followers f ON f.id = pi.follower_id AND f.workspace_id = pi.workspace_id"
            " JOIN people p ON p.id = pi.person_id AND p.workspace_id = pi.workspace_id"
            " LEFT JOIN follower_engagement_scores s"
            " ON s.follower_id = f.id AND s.workspace_id = f.workspace_id"
            " LEFT JOIN identity_profiles ip"
            " ON ip.follower_id = f.id AND ip.workspace_id = f.workspace_id"
            " WHERE pi.workspace_id = :ws AND pi.person_id = ANY(:ids)"
            " ORDER BY pi.person_id, score DESC, f.platform, f.id"
        ),
        {"ws": workspace_id, "ids": list(person_ids)},
    ).all()


def interaction_counts(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> Sequence[Any]:
    return session.execute(
        text(
            "SELECT pi.person_id, c.interaction_type, sum(c.interaction_count)::bigint AS n,"
            " min(c.first_interaction_at) AS first_at"
            " FROM person_identities pi"
            " JOIN follower_interaction_counts c"
            " ON c.follower_id = pi.follower_id AND c.workspace_id = pi.workspace_id"
            " WHERE pi.workspace_id = :ws AND pi.person_id = ANY(:ids) GROUP BY 1, 2"
        ),
        {"ws": workspace_id, "ids": list(person_ids)},
    ).all()


def top_content(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> Sequence[Any]:
    """Each person's most interacted-with content item."""
    return session.execute(
        text(
            "SELECT DISTINCT ON (pi.person_id) pi.person_id, ci.title, ci.slug, count(*) AS n"
            " FROM person_identities pi"
            " JOIN follower_interactions i"
            " ON i.follower_id = pi.follower_id AND i.workspace_id = pi.workspace_id"
            " JOIN content_items ci ON ci.id = i.content_id AND ci.workspace_id = i.workspace_id"
            " WHERE pi.person_id = ANY(:ids) AND pi.workspace_id = :ws"
            " GROUP BY pi.person_id, ci.id, ci.workspace_id ORDER BY pi.person_id, n DESC, ci.slug"
        ),
        {"ids": list(person_ids), "ws": workspace_id},
    ).all()


def latest_comments(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID], platform: str
) -> Sequence[Any]:
    """Each person's latest comment on one platform: what a public reply answers."""
    return session.execute(
        text(
            "SELECT DISTINCT ON (pi.person_id) pi.person_id, i.follower_id, i.external_id,"
            " cp.external_post_id"
            " FROM person_identities pi"
            " JOIN follower_interactions i"
            " ON i.follower_id = pi.follower_id AND i.workspace_id = pi.workspace_id"
            " LEFT JOIN content_posts cp"
            " ON cp.id = i.content_post_id AND cp.workspace_id = i.workspace_id"
            " WHERE pi.person_id = ANY(:ids) AND pi.workspace_id = :ws AND i.platform = :platform"
            " AND i.interaction_type IN ('comment', 'reply', 'mention')"
            " AND i.external_id IS NOT NULL"
            " ORDER BY pi.person_id, i.occurred_at DESC"
        ),
        {"ids": list(person_ids), "ws": workspace_id, "platform": platform},
    ).all()


def last_contacts(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    person_ids: Sequence[uuid.UUID],
    since: datetime,
    exclude_campaign_id: uuid.UUID | None = None,
    exclude_recipient_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, datetime]:
    """When each person was last contacted (sent, or being sent) by another campaign.

    The contact follows the identity addressed to whichever person holds it now, so a merge
    brings its cooldown along."""
    rows = session.execute(
        text(
            "SELECT coalesce(pi.person_id, r.person_id) AS person_id,"
            " max(coalesce(r.sent_at, r.sending_at)) AS at"
            " FROM outreach_recipients r"
            " LEFT JOIN person_identities pi"
            " ON pi.follower_id = r.follower_id AND pi.workspace_id = r.workspace_id"
            " WHERE r.workspace_id = :ws AND r.status IN ('sent', 'sending')"
            " AND coalesce(r.sent_at, r.sending_at) >= :since"
            " AND r.campaign_id IS DISTINCT FROM :campaign AND r.id IS DISTINCT FROM :recipient"
            " AND coalesce(pi.person_id, r.person_id) = ANY(:ids) GROUP BY 1"
        ),
        {
            "ws": workspace_id,
            "since": since,
            "campaign": exclude_campaign_id,
            "recipient": exclude_recipient_id,
            "ids": list(person_ids),
        },
    )
    return {r.person_id: r.at for r in rows}


OPT_OUTS = """
WITH RECURSIVE chain(src, cur) AS (
    SELECT o.person_id, o.person_id FROM outreach_opt_outs o WHERE o.workspace_id = :ws
    UNION
    SELECT chain.src, p.merged_into_id FROM chain JOIN people p ON p.id = chain.cur
    WHERE p.workspace_id = :ws AND p.merged_into_id IS NOT NULL)
SELECT DISTINCT ON (chain.cur) chain.cur AS person_id, o.channel, o.reason
FROM chain JOIN outreach_opt_outs o ON o.person_id = chain.src
WHERE o.workspace_id = :ws AND chain.cur = ANY(:ids) AND o.channel IN ('*', :ch)
ORDER BY chain.cur, o.channel
"""


def opt_outs(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID], channel: str
) -> dict[uuid.UUID, Any]:
    """Opt-outs that apply: the person's own, and those of people merged into them."""
    params = {"ws": workspace_id, "ids": list(person_ids), "ch": channel}
    rows = session.execute(text(OPT_OUTS), params)
    return {r.person_id: r for r in rows}


RECENT_SENTIMENT = """
SELECT pi.person_id,
    count(*) FILTER (WHERE coalesce(cs.corrected_label, cs.label) = 'negative') AS negative,
    count(*) AS judged
FROM person_identities pi
JOIN follower_interactions i ON i.follower_id = pi.follower_id AND i.workspace_id = pi.workspace_id
JOIN comment_sentiments cs ON cs.interaction_id = i.id AND cs.workspace_id = i.workspace_id
WHERE pi.person_id = ANY(:ids) AND pi.workspace_id = :ws AND i.occurred_at >= :since
    AND coalesce(cs.corrected_label, cs.label) <> 'unsupported_language'
GROUP BY 1
"""


def recent_sentiment(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID], since: datetime
) -> dict[uuid.UUID, Any]:
    """(negative, judged) comment counts since a time, by the effective (corrected) label."""
    params = {"ws": workspace_id, "ids": list(person_ids), "since": since}
    rows = session.execute(text(RECENT_SENTIMENT), params)
    return {r.person_id: r for r in rows}


def hand_set_emails(
    session: Session, *, workspace_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    rows = session.execute(
        text(
            "SELECT person_id, email FROM outreach_addresses"
            " WHERE workspace_id = :ws AND person_id = ANY(:ids)"
        ),
        {"ws": workspace_id, "ids": list(person_ids)},
    )
    return {r.person_id: r.email for r in rows}


def contacts_since(
    session: Session, *, workspace_id: uuid.UUID, channel: str, since: datetime
) -> int:
    """Messages of a channel sent (or being sent) since a time: the daily cap's count."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM outreach_recipients WHERE workspace_id = :ws"
                " AND channel = :ch AND status IN ('sent', 'sending')"
                " AND coalesce(sent_at, sending_at) >= :since"
            ),
            {"ws": workspace_id, "ch": channel, "since": since},
        ).scalar_one()
    )


def settings_row(session: Session, *, workspace_id: uuid.UUID) -> OutreachSettings:
    session.execute(
        insert(OutreachSettings)
        .values(workspace_id=workspace_id)
        .on_conflict_do_nothing(index_elements=["workspace_id"])
    )
    return session.scalars(
        select(OutreachSettings).where(OutreachSettings.workspace_id == workspace_id)
    ).one()


def segments(session: Session, *, workspace_id: uuid.UUID) -> list[OutreachSegment]:
    query = select(OutreachSegment).where(OutreachSegment.workspace_id == workspace_id)
    return list(session.scalars(query.order_by(OutreachSegment.name)))


def campaigns(session: Session, *, workspace_id: uuid.UUID) -> list[OutreachCampaign]:
    query = select(OutreachCampaign).where(OutreachCampaign.workspace_id == workspace_id)
    return list(session.scalars(query.order_by(OutreachCampaign.created_at.desc())))


def delete_opt_out(
    session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID, channel: str
) -> bool:
    """Whether there was such an opt-out."""
    result = session.execute(
        delete(OutreachOptOut).where(
            OutreachOptOut.workspace_id == workspace_id,
            OutreachOptOut.person_id == person_id,
            OutreachOptOut.channel == channel,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def upsert_address(
    session: Session, *, workspace_id: uuid.UUID, person_id: uuid.UUID, email: str
) -> None:
    stmt = insert(OutreachAddress).values(
        workspace_id=workspace_id, person_id=person_id, email=email
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["workspace_id", "person_id"], set_={"email": stmt.excluded.email}
        )
    )


def segment_by_name_or_id(
    session: Session, *, workspace_id: uuid.UUID, ref: str
) -> OutreachSegment | None:
    query = select(OutreachSegment).where(OutreachSegment.workspace_id == workspace_id)
    try:
        query = query.where(OutreachSegment.id == uuid.UUID(ref))
    except ValueError:
        query = query.where(OutreachSegment.name == ref)
    return session.scalars(query).one_or_none()


def campaign_by_name_or_id(
    session: Session, *, workspace_id: uuid.UUID, ref: str, lock: bool = False
) -> OutreachCampaign | None:
    query = select(OutreachCampaign).where(OutreachCampaign.workspace_id == workspace_id)
    try:
        query = query.where(OutreachCampaign.id == uuid.UUID(ref))
    except ValueError:
        query = query.where(OutreachCampaign.name == ref)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def status_counts(session: Session, *, campaign_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(OutreachRecipient.status, func.count())
        .where(OutreachRecipient.campaign_id == campaign_id)
        .group_by(OutreachRecipient.status)
    )
    return {status: int(n) for status, n in rows}


def recipients(
    session: Session, *, campaign_id: uuid.UUID, status: str | None = None
) -> Sequence[OutreachRecipient]:
    query = select(OutreachRecipient).where(OutreachRecipient.campaign_id == campaign_id)
    if status:
        query = query.where(OutreachRecipient.status == status)
    return list(session.scalars(query.order_by(OutreachRecipient.created_at, OutreachRecipient.id)))


def claim_next(
    session: Session, *, campaign_id: uuid.UUID, now: datetime
) -> OutreachRecipient | None:
    """Take the next due queued message: its row becomes `sending` (the intent to send)."""
    due = (
        select(OutreachRecipient.id)
        .where(
            OutreachRecipient.campaign_id == campaign_id,
            OutreachRecipient.status == "queued",
            func.coalesce(OutreachRecipient.next_attempt_at, now) <= now,
        )
        .order_by(OutreachRecipient.created_at, OutreachRecipient.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return session.scalars(
        update(OutreachRecipient)
        .where(OutreachRecipient.id == due)
        .values(status="sending", sending_at=now, attempts=OutreachRecipient.attempts + 1)
        .returning(OutreachRecipient),
        execution_options={"synchronize_session": False},
    ).one_or_none()


def next_due(session: Session, *, campaign_id: uuid.UUID) -> tuple[int, datetime | None]:
    """(messages still to send, when the earliest of them is due)."""
    row = session.execute(
        select(func.count(), func.min(OutreachRecipient.next_attempt_at)).where(
            OutreachRecipient.campaign_id == campaign_id,
            OutreachRecipient.status.in_(("queued", "sending")),
        )
    ).one()
    return int(row[0]), row[1]


def campaigns_to_resume(session: Session, *, now: datetime) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(OutreachCampaign.id).where(
                (OutreachCampaign.status == "sending")
                | (
                    (OutreachCampaign.status == "scheduled")
                    & (func.coalesce(OutreachCampaign.send_at, now) <= now)
                )
            )
        )
    )


def add_event(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID,
    recipient_id: uuid.UUID | None,
    event: str,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        OutreachEvent(
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            recipient_id=recipient_id,
            event=event,
            detail=detail or {},
        )
    )


def events(session: Session, *, campaign_id: uuid.UUID, limit: int) -> Sequence[OutreachEvent]:
    return list(
        session.scalars(
            select(OutreachEvent)
            .where(OutreachEvent.campaign_id == campaign_id)
            .order_by(OutreachEvent.at, OutreachEvent.id)
            .limit(limit)
        )
    )


# -- advisory locks ---------------------------------------------------------------------------

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:cls, hashtext(:key))")
_UNLOCK = text("SELECT pg_advisory_unlock(:cls, hashtext(:key))")
_XACT_LOCK = text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))")


def try_campaign_lock(connection: Connection, *, campaign_id: uuid.UUID) -> bool:
    """The one-deliverer-per-campaign lock, session-level: held while the connection lives, so
    a killed deliverer releases it with its connection."""
    key = {"cls": locks.OUTREACH_CAMPAIGN, "key": str(campaign_id)}
    return bool(connection.execute(_TRY_LOCK, key).scalar_one())


def release_campaign_lock(connection: Connection, *, campaign_id: uuid.UUID) -> None:
    connection.execute(_UNLOCK, {"cls": locks.OUTREACH_CAMPAIGN, "key": str(campaign_id)})


def lock_channel_count(session: Session, *, workspace_id: uuid.UUID, channel: str) -> None:
    """Held to the end of the transaction: one claim at a time counts a channel's daily cap."""
    session.execute(_XACT_LOCK, {"cls": locks.OUTREACH_CHANNEL, "key": f"{workspace_id}:{channel}"})


def lock_person(session: Session, *, person_id: uuid.UUID) -> None:
    """Held to the end of the transaction: one campaign at a time checks a person's guards."""
    session.execute(_XACT_LOCK, {"cls": locks.OUTREACH_PERSON, "key": str(person_id)})
