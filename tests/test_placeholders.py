"""Query placeholders: exact cycle boundaries in each tool's reading of dates."""

from __future__ import annotations

import datetime as dt

from mapping.placeholders import cycle_window, render_github_query, render_jql
from mapping.schema import Cycle

UTC_CYCLE = cycle_window(Cycle(name="2026-Q4", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)))
BERLIN_CYCLE = cycle_window(Cycle(name="2026-Q4", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31), timezone="Europe/Berlin"))


def test_jql_boundaries_in_the_api_users_zone() -> None:
    query = "resolved >= {cycle.start} AND resolved <= {cycle.end} AND fixVersion = {cycle.name}"
    assert render_jql(query, UTC_CYCLE, "UTC") == (
        'resolved >= "2026-10-01 00:00" AND resolved <= "2026-12-31 23:59" AND fixVersion = "2026-Q4"'
    )
    # Summer time at the start, winter time at the end: the same instants, read in Berlin.
    assert render_jql(query, UTC_CYCLE, "Europe/Berlin").startswith(
        'resolved >= "2026-10-01 02:00" AND resolved <= "2027-01-01 00:59"'
    )
    assert render_jql(query, BERLIN_CYCLE, "Europe/Berlin").startswith(
        'resolved >= "2026-10-01 00:00" AND resolved <= "2026-12-31 23:59"'
    )


def test_jql_placeholder_already_quoted_is_not_quoted_twice() -> None:
    assert render_jql("created >= '{cycle.start}'", UTC_CYCLE, None) == 'created >= "2026-10-01 00:00"'
    assert render_jql('created >= "{cycle.start}"', UTC_CYCLE, "Nowhere/Invalid") == 'created >= "2026-10-01 00:00"'


def test_github_dates() -> None:
    query = "repo:acme/app is:pr created:{cycle.start}..{cycle.end} milestone:{cycle.name}"
    assert render_github_query(query, UTC_CYCLE) == "repo:acme/app is:pr created:2026-10-01..2026-12-31 milestone:2026-Q4"
    assert render_github_query("merged:>={cycle.start}", BERLIN_CYCLE) == "merged:>=2026-10-01T00:00:00+02:00"
    assert render_github_query("closed:<={cycle.end}", BERLIN_CYCLE) == "closed:<=2026-12-31T23:59:59+01:00"
