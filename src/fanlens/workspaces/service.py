from __future__ import annotations

from sqlalchemy.orm import Session

from fanlens.kit.errors import Conflict, InvalidInput, NotFound
from fanlens.workspaces import repository
from fanlens.workspaces.models import Workspace


def create(*, session: Session, name: str) -> Workspace:
    name = name.strip()
    if not name:
        raise InvalidInput("a workspace needs a name")
    if repository.get_by_name(session, name) is not None:
        raise Conflict(f"workspace {name!r} already exists")
    workspace = Workspace(name=name)
    session.add(workspace)
    session.flush()
    return workspace


def get_by_name_or_raise(*, session: Session, name: str) -> Workspace:
    workspace = repository.get_by_name(session, name)
    if workspace is None:
        known = ", ".join(w.name for w in repository.list_all(session)) or "none"
        raise NotFound(
            f"no workspace named {name!r} (known: {known}); "
            f"create it with `fanlens workspace create {name}`"
        )
    return workspace
