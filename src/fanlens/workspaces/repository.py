from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanlens.workspaces.models import Workspace


def get_by_name(session: Session, name: str) -> Workspace | None:
    return session.scalars(select(Workspace).where(Workspace.name == name)).one_or_none()


def list_all(session: Session) -> list[Workspace]:
    return list(session.scalars(select(Workspace).order_by(Workspace.name)))
