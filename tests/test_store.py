"""The OKR store: definitions from the configuration, archiving, check-ins, the progress model."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mapping.loader import load_config
from okr_store import checkins, db, definitions, models
from okr_store.progress import build_progress
from tests.conftest import CONFIGS

UTC = dt.UTC


def _config(text: str, tmp_path: Path):
    path = tmp_path / "okrsync.yaml"
    path.write_text(text)
    return load_config(path).config


BASE = """
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
objectives:
  - id: O1
    title: Grow
    owner: growth
    key_results:
      - {id: K1, title: Close bugs, target: 40, metric: {manual: true}}
      - {id: K2, title: Cut latency, direction: decrease, start: 600, target: 300, weight: 3, metric: {manual: true}}
  - id: O2
    title: Other
    parent: O1
    kind: aspirational
    key_results:
      - {id: K3, title: Activation, direction: stay_above, start: 0.3, target: 0.4, metric: {manual: true}}
"""


def _keys(session: Session, model: type, active_only: bool = True) -> set[str]:
    query = sa.select(model.key)
    if active_only:
        query = query.where(model.archived_at.is_(None))
    return set(session.scalars(query))


def test_apply_config_creates_then_is_idempotent(session: Session, tmp_path: Path) -> None:
    config = _config(BASE, tmp_path)
    first = definitions.apply_config(session, config)
    assert sorted(first.created) == ["K1", "K2", "K3", "O1", "O2"]
    second = definitions.apply_config(session, config)
    assert not second.changed
    kr = session.scalar(sa.select(models.KeyResult).where(models.KeyResult.key == "K2"))
    assert (kr.direction, kr.start_value, kr.target_value, kr.weight) == ("decrease", 600, 300, 3)
    assert kr.rule_hash and kr.metric == {"manual": True}
    objective = session.scalar(sa.select(models.Objective).where(models.Objective.key == "O2"))
    assert (objective.parent_key, objective.kind) == ("O1", "aspirational")


def test_removed_kr_is_archived_with_its_history_and_restored(session: Session, tmp_path: Path) -> None:
    definitions.apply_config(session, _config(BASE, tmp_path))
    cycle = definitions.current_cycle(session, "2026-Q4")
    checkins.record_checkin(session, checkins.find_key_result(session, cycle.id, "K1"), 12, confidence=6, note="ok")

    without_k1 = BASE.replace("      - {id: K1, title: Close bugs, target: 40, metric: {manual: true}}\n", "")
    changes = definitions.apply_config(session, _config(without_k1, tmp_path))
    assert changes.archived == ["K1"]
    assert "K1" not in _keys(session, models.KeyResult)
    k1 = session.scalar(sa.select(models.KeyResult).where(models.KeyResult.key == "K1"))
    assert session.scalar(sa.select(sa.func.count()).where(models.Measurement.key_result_id == k1.id)) == 1
    with pytest.raises(LookupError, match="archived"):
        checkins.find_key_result(session, cycle.id, "K1")

    restored = definitions.apply_config(session, _config(BASE, tmp_path))
    assert restored.restored == ["K1"]
    assert "K1" in _keys(session, models.KeyResult)


def test_kr_update_and_move_between_objectives(session: Session, tmp_path: Path) -> None:
    definitions.apply_config(session, _config(BASE, tmp_path))
    moved = BASE.replace("      - {id: K1, title: Close bugs, target: 40, metric: {manual: true}}\n", "") + (
        "      - {id: K1, title: Close 50 bugs, target: 50, metric: {manual: true}}\n"
    )
    changes = definitions.apply_config(session, _config(moved, tmp_path))
    assert changes.updated == ["K1"]
    k1 = session.scalar(sa.select(models.KeyResult).where(models.KeyResult.key == "K1"))
    assert (k1.title, k1.target_value, k1.objective.key) == ("Close 50 bugs", 50, "O2")


def test_checkin_validation(session: Session, tmp_path: Path) -> None:
    definitions.apply_config(session, _config(BASE, tmp_path))
    cycle = definitions.current_cycle(session, "2026-Q4")
    kr = checkins.find_key_result(session, cycle.id, "K1")
    with pytest.raises(ValueError, match="0 to 10"):
        checkins.record_checkin(session, kr, 3, confidence=11)
    with pytest.raises(ValueError, match="finite"):
        checkins.record_checkin(session, kr, float("nan"))
    with pytest.raises(LookupError, match="known: K1, K2, K3"):
        checkins.find_key_result(session, cycle.id, "K9")


def test_progress_report_numbers(session: Session, tmp_path: Path) -> None:
    definitions.apply_config(session, _config(BASE, tmp_path))
    cycle = definitions.current_cycle(session, "2026-Q4")
    day = lambda d: dt.datetime(2026, 11, d, 12, tzinfo=UTC)  # noqa: E731
    kr = lambda key: checkins.find_key_result(session, cycle.id, key)  # noqa: E731
    checkins.record_checkin(session, kr("K1"), 10, at=day(1))
    checkins.record_checkin(session, kr("K1"), 30, confidence=8, note="on it", at=day(10))
    checkins.record_checkin(session, kr("K2"), 450, at=day(10))
    checkins.record_checkin(session, kr("K1"), 39, at=day(20))  # after the report's moment: ignored

    # 2026-11-16 00:00 UTC: 46 of 92 days elapsed, pace 0.5
    report = build_progress(session, "2026-Q4", dt.datetime(2026, 11, 16, tzinfo=UTC))
    assert report.expected_pace == pytest.approx(0.5)
    o1, o2 = report.objectives
    k1, k2 = o1.key_results
    assert (k1.value, k1.progress, k1.score, k1.status) == (30, 0.75, 0.8, "on_track")
    assert (k1.confidence, k1.note, k1.source) == (8, "on it", "checkin")
    assert (k2.value, k2.progress, k2.status) == (450, 0.5, "on_track")
    assert o1.progress == pytest.approx((0.75 * 1 + 0.5 * 3) / 4)
    assert o1.score == 0.6
    (k3,) = o2.key_results
    assert (k3.value, k3.progress, k3.status) == (None, None, "no_data")
    assert (o2.progress, o2.status) == (None, "no_data")
    assert o2.expected_progress == pytest.approx(0.35)  # aspirational: 0.7 x pace
    document = report.to_json()
    assert document["objectives"][0]["key_results"][0]["measured_at"] == "2026-11-10T12:00:00Z"


def test_timestamps_are_aware_utc(session: Session, tmp_path: Path) -> None:
    definitions.apply_config(session, _config(BASE, tmp_path))
    session.expire_all()
    objective = session.scalar(sa.select(models.Objective).where(models.Objective.key == "O1"))
    assert objective.created_at.tzinfo is not None and objective.created_at.utcoffset() == dt.timedelta(0)
    with pytest.raises(Exception, match="naive"):
        session.add(models.SyncRun(started_at=dt.datetime(2026, 1, 1)))
        session.flush()


def test_migrations_name_every_constraint_and_round_trip(store_url: str) -> None:
    engine = db.create_store_engine(store_url)
    db.upgrade(engine)
    inspector = sa.inspect(engine)
    for table in ("objectives", "key_results", "measurements", "publications"):
        assert inspector.get_pk_constraint(table)["name"] == f"pk_{table}"
        assert all(fk["name"].startswith(f"fk_{table}_") for fk in inspector.get_foreign_keys(table))
    assert db.current_revision(engine) == db.head_revision()
    db.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    db.ensure_current(engine)  # an empty store is created at head
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_ensure_current_refuses_a_foreign_database(store_url: str) -> None:
    engine = db.create_store_engine(store_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE somebody_elses (id INTEGER)")
    with pytest.raises(db.StoreError, match="no okrsync schema version"):
        db.ensure_current(engine)
    engine.dispose()


def test_concurrent_read_then_write_transactions_lose_no_update(store_url: str, tmp_path: Path) -> None:
    """Two writers that each read a counter and write it back +1: neither update may be lost."""
    engine = db.create_store_engine(store_url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        session.add(models.SyncRun(status="running", requests={"n": 0}))
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(10):
                with db.transaction(engine) as session:
                    query = sa.select(models.SyncRun)
                    if engine.dialect.name == "postgresql":
                        query = query.with_for_update()
                    run = session.scalars(query).one()
                    count = run.requests["n"]
                    time.sleep(0.005)  # widen the window between the read and the write
                    run.requests = {"n": count + 1}
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.transaction(engine) as session:
        assert session.scalars(sa.select(models.SyncRun)).one().requests == {"n": 20}
    engine.dispose()


def test_design_example_loads_into_the_store(session: Session, design_env: dict[str, str]) -> None:
    loaded = load_config(CONFIGS / "valid" / "design_example.yaml", design_env)
    changes = definitions.apply_config(session, loaded.config)
    assert {"O1", "O1-KR1", "O1-KR2", "O1-KR3"} == set(changes.created)
