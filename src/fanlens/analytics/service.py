from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session

from fanlens.analytics import repository
from fanlens.analytics.schemas import CohortRow, Cohorts
from fanlens.kit import listing


def _row(row: Row[Any]) -> CohortRow:
    return CohortRow.model_validate(row._mapping)


def cohorts(
    *, session: Session, workspace_id: uuid.UUID, platform: str | None, since: date | None
) -> Cohorts:
    stmt = repository.cohorts_select(workspace_id, platform=platform, since=since)
    return Cohorts(items=[_row(r) for r in session.execute(stmt)])


def export_cohorts(
    *, engine: Engine, workspace_id: uuid.UUID, platform: str | None, since: date | None
) -> Iterator[CohortRow]:
    stmt = repository.cohorts_select(workspace_id, platform=platform, since=since)
    return listing.stream(engine, stmt, to_item=_row)
