from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from fanlens.content.models import ContentItem, ContentPost


def placeholder_slug(platform: str, external_post_id: str) -> str:
    """The slug of the content item a post gets when the data names no content key."""
    return f"{platform}:{external_post_id}"


def get_post(
    session: Session, *, workspace_id: uuid.UUID, platform: str, external_post_id: str
) -> ContentPost | None:
    return session.scalars(
        select(ContentPost).where(
            ContentPost.workspace_id == workspace_id,
            ContentPost.platform == platform,
            ContentPost.external_post_id == external_post_id,
        )
    ).one_or_none()


def upsert_content_item(
    session: Session, *, workspace_id: uuid.UUID, slug: str, title: str | None
) -> uuid.UUID:
    stmt = insert(ContentItem).values(workspace_id=workspace_id, slug=slug, title=title)
    upsert_stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id", "slug"],
        set_={"slug": stmt.excluded.slug},  # a no-op update, so RETURNING gives the id
    ).returning(ContentItem.id)
    return session.execute(upsert_stmt).scalar_one()


def get_or_create_placeholder_post(
    session: Session, *, workspace_id: uuid.UUID, platform: str, external_post_id: str
) -> ContentPost:
    """The post an interaction points at, created as a placeholder when not yet known."""
    post = get_post(
        session, workspace_id=workspace_id, platform=platform, external_post_id=external_post_id
    )
    if post is not None:
        return post
    content_id = upsert_content_item(
        session,
        workspace_id=workspace_id,
        slug=placeholder_slug(platform, external_post_id),
        title=None,
    )
    stmt = (
        insert(ContentPost)
        .values(
            workspace_id=workspace_id,
            content_id=content_id,
            platform=platform,
            external_post_id=external_post_id,
            is_placeholder=True,
        )
        .on_conflict_do_nothing()
    )
    session.execute(stmt)
    post = get_post(
        session, workspace_id=workspace_id, platform=platform, external_post_id=external_post_id
    )
    assert post is not None
    return post
