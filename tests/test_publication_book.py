"""PublicationBook: what was last published per KR and target, shared by the publishing threads."""

from __future__ import annotations

import threading
from pathlib import Path

from flows.publish import PublicationBook
from mapping.loader import load_config
from okr_store import db, definitions

CONFIG = """
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
objectives:
  - id: O1
    title: Grow
    key_results:
      - {id: K1, title: Close bugs, target: 40, metric: {manual: true}}
      - {id: K2, title: Ship, target: 4, metric: {manual: true}}
"""


def test_threads_share_an_in_memory_store_one_transaction_at_a_time(tmp_path: Path) -> None:
    """`sqlite://` is one connection: two transactions at once on it would fail or mix."""
    path = tmp_path / "okrsync.yaml"
    path.write_text(CONFIG)
    engine = db.create_store_engine("sqlite://")
    db.ensure_current(engine)
    with db.transaction(engine) as session:
        definitions.apply_config(session, load_config(path).config)
        cycle_id = definitions.current_cycle(session, "2026-Q4").id
    book = PublicationBook(engine, cycle_id, None)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def publish(tool: str) -> None:
        start.wait()
        try:
            for n in range(25):
                for kr in ("K1", "K2"):
                    book.remember(kr, tool, f"{tool}-{n}", f"hash-{n}")
                    assert book.last(kr, tool) == (f"{tool}-{n}", f"hash-{n}")
        except BaseException as error:  # noqa: BLE001 - reported below, with the thread's tool
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(tool,)) for tool in ("jira:A-1", "gh:o/r#1", "sheet:B2", "jira:A-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert {book.last("K2", tool) for tool in ("jira:A-1", "sheet:B2")} == {("jira:A-1-24", "hash-24"), ("sheet:B2-24", "hash-24")}
    engine.dispose()
