"""Large, realistic data sets for the sandbox: Jira issues and GitHub pull requests spread over a
quarter whose statuses move over time (each issue walks To Do -> In Progress -> In Review -> Done
on dated transitions, some past the sandbox's `now`), and a spreadsheet of daily KPIs.

The same arguments always give the same data (one `random.Random(seed)`, no wall clock)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

PROJECTS = [("ONB", "Onboarding"), ("PLAT", "Platform"), ("GROW", "Growth"), ("MOB", "Mobile")]
USERS = ["alice", "bob", "chen", "dana", "emeka", "farah", "goran", "hana", "ivan", "jo", "kofi", "lena"]
LABELS = ["onboarding", "performance", "security", "ux", "tech-debt", "customer", "okr", "regression"]
REPOS = ["acme/app", "acme/api", "acme/web"]
TYPES = [("Story", 0.35), ("Task", 0.25), ("Bug", 0.37), ("Epic", 0.03)]
PRIORITIES = [("Highest", 0.05), ("High", 0.2), ("Medium", 0.5), ("Low", 0.2), ("Lowest", 0.05)]
POINTS = [1, 2, 3, 5, 8, 13]


def quarter_bounds(quarter: str) -> tuple[dt.datetime, dt.datetime]:
    """'2026-Q4' -> (2026-10-01, 2027-01-01) in UTC."""
    year, q = quarter.upper().split("-Q")
    start = dt.datetime(int(year), 3 * (int(q) - 1) + 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def generate(issues: int = 5000, prs: int = 2000, rows: int = 500, seed: int = 7, quarter: str = "2026-Q4") -> dict[str, Any]:
    """A data set in the data-file format; the clock (`now`) stands 60% into the quarter."""
    rng = random.Random(seed)
    start, end = quarter_bounds(quarter)
    now = start + (end - start) * 0.6
    return {
        "now": _iso(now),
        "jira": _jira(rng, issues, start, end),
        "github": _github(rng, prs, start, end),
        "sheets": _sheets(rng, rows, start),
    }


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(rng: random.Random, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """A time between low and high, on a working hour, to the minute."""
    day = low + dt.timedelta(seconds=rng.uniform(0, max(60.0, (high - low).total_seconds())))
    return day.replace(hour=rng.randint(8, 18), minute=rng.randint(0, 59), second=0, microsecond=0)


def _after(rng: random.Random, moment: dt.datetime, low_days: float, high_days: float) -> dt.datetime:
    return (moment + dt.timedelta(days=rng.uniform(low_days, high_days))).replace(second=0, microsecond=0)


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


def _jira(rng: random.Random, count: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    numbers = {key: 0 for key, _ in PROJECTS}
    epics: dict[str, list[str]] = {key: [] for key, _ in PROJECTS}
    issues = []
    for _ in range(count):
        project = rng.choice(PROJECTS)[0]
        numbers[project] += 1
        key = f"{project}-{numbers[project]}"
        kind = _pick(rng, TYPES)
        created = _moment(rng, start - dt.timedelta(days=30), end - dt.timedelta(days=5))
        issue: dict[str, Any] = {"key": key, "type": kind, "summary": f"{kind} {key}", "created": _iso(created)}
        transitions, moment = [], created
        for status, (low, high), chance in (("In Progress", (0.1, 10), 0.85), ("In Review", (0.5, 6), 0.8), ("Done", (0.2, 9), 0.92)):
            if rng.random() > chance:
                break
            moment = _after(rng, moment, low, high)
            step = {"at": _iso(moment), "status": status}
            if status == "Done" and rng.random() < 0.08:
                step["resolution"] = rng.choice(["Won't Do", "Duplicate", "Cannot Reproduce"])
            transitions.append(step)
        if transitions:
            issue["transitions"] = transitions
        if rng.random() < 0.8:
            issue["assignee"] = rng.choice(USERS)
        issue["priority"] = _pick(rng, PRIORITIES)
        issue["labels"] = sorted(set(rng.sample(LABELS, rng.choice([0, 0, 1, 1, 2]))))
        if kind == "Epic":
            epics[project].append(key)
        else:
            if epics[project] and rng.random() < 0.6:
                issue["parent"] = rng.choice(epics[project])
            if rng.random() < 0.4:
                issue["fix_versions"] = [f"{project}-{rng.choice(['1.0', '2.0'])}"]
            fields: dict[str, float] = {}
            if kind in ("Story", "Bug") and rng.random() < 0.85:
                fields["Story Points"] = rng.choice(POINTS)
            if len(transitions) == 3:
                begun = dt.datetime.fromisoformat(transitions[0]["at"].replace("Z", "+00:00"))
                fields["Cycle Time"] = round((moment - begun).total_seconds() / 86400, 1)
            if fields:
                issue["fields"] = fields
        issues.append(issue)
    versions = [{"name": f"{key}-{v}", "project": key, "release_date": (end - dt.timedelta(days=d)).date().isoformat()} for key, _ in PROJECTS for v, d in (("1.0", 60), ("2.0", 10))]
    return {
        "deployment": "Cloud",
        "timezone": "UTC",
        "api_user": {"name": "okr-bot", "display_name": "OKR Bot", "email": "okr-bot@example.com"},
        "users": [{"name": name} for name in USERS],
        "projects": [{"key": key, "name": name} for key, name in PROJECTS],
        "versions": versions,
        "custom_fields": [{"id": "customfield_10016", "name": "Story Points"}, {"id": "customfield_10050", "name": "Cycle Time"}],
        "issues": issues,
    }


def _github(rng: random.Random, prs: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    repos: list[dict[str, Any]] = []
    for name in REPOS:
        milestones = []
        for number, offset in enumerate((-20, 45, 90), 1):
            due = start + dt.timedelta(days=offset)
            milestone = {"number": number, "title": f"{name.split('/')[1]}-{number}", "due_on": _iso(due), "created_at": _iso(start - dt.timedelta(days=60))}
            if offset < 0:
                milestone["closed_at"] = _iso(due + dt.timedelta(days=2))
            milestones.append(milestone)
        repos.append({"name": name, "created_at": "2024-01-15T00:00:00Z", "milestones": milestones, "issues": []})
    for n in range(prs + prs // 4):  # pull requests, then a quarter as many issues
        repo = repos[n % len(repos)]
        created = _moment(rng, start - dt.timedelta(days=20), end - dt.timedelta(days=3))
        item: dict[str, Any] = {"number": len(repo["issues"]) + 1, "title": f"Change {n}", "user": rng.choice(USERS), "created_at": _iso(created)}
        roll = rng.random()
        if n < prs:
            item["kind"] = "pr"
            if roll < 0.7:
                item["merged_at"] = _iso(_after(rng, created, 0.05, 10))
            elif roll < 0.82:
                item["closed_at"] = _iso(_after(rng, created, 0.5, 15))
            item["draft"] = roll > 0.95
        elif roll < 0.6:
            item["closed_at"] = _iso(_after(rng, created, 0.5, 30))
        labels = rng.sample(LABELS, rng.choice([0, 1, 1, 2]))
        if labels:
            item["labels"] = sorted(labels)
        if rng.random() < 0.5:
            item["milestone"] = rng.choice(repo["milestones"])["title"]
        repo["issues"].append(item)
    okrs: dict[str, Any] = {"name": "acme/okrs", "created_at": "2025-01-10T00:00:00Z", "issues": [
        {"number": n, "title": f"OKR tracking {n}", "user": "okr-bot", "created_at": _iso(start - dt.timedelta(days=1))} for n in (1, 2, 3)
    ]}
    return {"api_user": "okr-bot", "users": USERS, "repos": [*repos, okrs]}


def _sheets(rng: random.Random, rows: int, start: dt.datetime) -> dict[str, Any]:
    daily: list[list[Any]] = [["Date", "Signups", "Activated", "Activation", "Revenue", "NPS"]]
    for n in range(rows):
        signups = rng.randint(80, 220)
        activated = rng.randint(signups // 3, signups * 2 // 3)
        nps: Any = rng.randint(20, 60) if rng.random() > 0.03 else "#N/A"
        revenue = f"${signups * rng.uniform(9, 14):,.2f}"
        daily.append([{"date": (start.date() + dt.timedelta(days=n)).isoformat()}, signups, activated, {"value": round(activated / signups, 4), "format": "0.0%"}, revenue, nps])
    survey: list[list[Any]] = [
        ["Metric", "Value"],
        ["Activation rate", f"{rng.randint(35, 55)}%"],
        ["NPS", rng.randint(20, 60)],
        ["Weekly active teams", f"{rng.uniform(900, 1500):,.2f}"],
        ["Churn", {"value": round(rng.uniform(0.01, 0.05), 4), "format": "0.0%"}],
    ]
    board = [["KR", "Value", "Progress", "Status", "Updated"]]
    return {"spreadsheets": [{
        "id": "1AbCdEf",
        "title": "OKR data",
        "sheets": [
            {"title": "Survey", "cells": survey},
            {"title": "Team KPIs", "rows": max(1000, rows + 1), "cells": daily},
            {"title": "OKR Board", "cells": board},
        ],
        "named_ranges": {"ActivationRate": "Survey!B2"},
    }]}
