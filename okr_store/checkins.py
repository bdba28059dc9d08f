"""Check-ins: a person records a KR's value, with a confidence and a note."""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlalchemy.orm import Session

from okr_store import models
from okr_store.models import utcnow

CHECKIN_SOURCE = "checkin"


def find_key_result(session: Session, cycle_id: int, key: str) -> models.KeyResult:
    """The active KR with this id in the cycle; LookupError naming the known ids otherwise."""
    kr = session.scalar(sa.select(models.KeyResult).where(models.KeyResult.cycle_id == cycle_id, models.KeyResult.key == key))
    if kr is None:
        known = session.scalars(
            sa.select(models.KeyResult.key).where(models.KeyResult.cycle_id == cycle_id, models.KeyResult.archived_at.is_(None))
        ).all()
        raise LookupError(f"no key result {key!r} in this cycle; known: {', '.join(sorted(known)) or '(none)'}")
    if kr.archived_at is not None:
        raise LookupError(f"key result {key!r} was removed from the configuration (archived); its history is kept")
    return kr


def record_checkin(
    session: Session,
    kr: models.KeyResult,
    value: float,
    confidence: int | None = None,
    note: str | None = None,
    author: str | None = None,
    at: dt.datetime | None = None,
) -> models.CheckIn:
    """Append a check-in and its value to the KR's history."""
    if not math.isfinite(value):
        raise ValueError(f"the value must be a finite number, not {value}")
    if confidence is not None and not 0 <= confidence <= 10:
        raise ValueError(f"confidence is 0 to 10, not {confidence}")
    when = at or utcnow()
    measurement = models.Measurement(
        key_result_id=kr.id, value=value, measured_at=when, source=CHECKIN_SOURCE,
        evidence={"author": author} if author else None,
    )
    checkin = models.CheckIn(
        key_result_id=kr.id, measurement=measurement, confidence=confidence, note=note, author=author, created_at=when
    )
    session.add_all([measurement, checkin])
    session.flush()
    return checkin
