"""OKR-practice warnings: things that validate but that OKR coaches would question."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from mapping import schema
from mapping.checks import used_sources
from mapping.problems import Finding, Loc

MIN_OBJECTIVES_PER_OWNER = 3
MAX_OBJECTIVES_PER_OWNER = 5
MAX_KRS_PER_OBJECTIVE = 5


def advise(config: schema.Config) -> Iterator[Finding]:
    """Yield warnings drawn from common OKR guidance (Google's playbook, Doerr's 'Measure What Matters')."""
    yield from _owner_load(config)
    defined = {objective.id for objective in config.objectives}
    for o_index, objective in enumerate(config.objectives):
        loc: Loc = ("objectives", o_index)
        if objective.parent and objective.parent not in defined:
            yield _warn((*loc, "parent"), f"parent {objective.parent!r} is not defined in these files (fine if it lives outside okrsync)")
        if not objective.key_results:
            yield _warn((*loc, "key_results"), "the objective has no key result, so its progress cannot be measured")
        elif len(objective.key_results) > MAX_KRS_PER_OBJECTIVE:
            yield _warn((*loc, "key_results"), f"{len(objective.key_results)} key results; keep it to {MAX_KRS_PER_OBJECTIVE} or fewer")
        for k_index, kr in enumerate(objective.key_results):
            yield from _kr_advice(kr, (*loc, "key_results", k_index))
    for name in sorted(config.sources.keys() - used_sources(config)):
        yield _warn(("sources", name), f"source {name!r} is not used by any key result")


def _owner_load(config: schema.Config) -> Iterator[Finding]:
    by_owner: dict[str, list[int]] = defaultdict(list)
    for index, objective in enumerate(config.objectives):
        if objective.owner:
            by_owner[objective.owner].append(index)
    for owner, indexes in by_owner.items():
        count = len(indexes)
        if count < MIN_OBJECTIVES_PER_OWNER or count > MAX_OBJECTIVES_PER_OWNER:
            yield _warn(
                ("objectives", indexes[0], "owner"),
                f"{owner!r} owns {count} objective{'s' if count != 1 else ''}; "
                f"{MIN_OBJECTIVES_PER_OWNER} to {MAX_OBJECTIVES_PER_OWNER} keeps focus",
            )


def _kr_advice(kr: schema.KeyResult, loc: Loc) -> Iterator[Finding]:
    if kr.metric is None:
        yield _warn(loc, f"{kr.id} has no metric; add one, or 'metric: {{manual: true}}' for check-ins only")
    if kr.direction in ("increase", "decrease"):
        if kr.target == kr.start:
            yield _warn((*loc, "target"), "target equals start: progress is all or nothing")
        elif kr.direction == "increase" and kr.target < kr.start:
            yield _warn((*loc, "direction"), "direction is 'increase' but the target is below the start; did you mean 'decrease'?")
        elif kr.direction == "decrease" and kr.target > kr.start:
            yield _warn((*loc, "direction"), "direction is 'decrease' but the target is above the start; did you mean 'increase'?")


def _warn(loc: Loc, message: str) -> Finding:
    return Finding(loc, message, "warning")
