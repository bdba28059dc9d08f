"""The benchmark's OKR set: 20 objectives x 3 KRs over every metric kind and all three sources, against
the data `sandbox.generate` makes (Jira projects ONB, PLAT, GROW, MOB; GitHub acme/app, acme/api,
acme/web with milestones <repo>-1..3; a spreadsheet with Survey, Team KPIs and OKR Board sheets).

Overlap is deliberate and realistic: some KRs use exactly the same query as another KR (two teams
track the same number, a ratio's part is another KR's count, a formula var repeats a count), so the
number of distinct queries is smaller than the number of source metrics.
"""

from __future__ import annotations

from typing import Any

CYCLE = {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}

# --- the source metrics, named once so overlaps are exact ---------------------------------------------

ONB_BUGS_DONE = {"source": "jira", "count": "project = ONB AND type = Bug AND statusCategory = Done AND resolved >= {cycle.start}"}
PLAT_DONE_JQL = "project = PLAT AND statusCategory = Done AND resolved >= {cycle.start}"
OPEN_BUGS = {"source": "jira", "count": "type = Bug AND statusCategory != Done"}
DONE_IN_CYCLE = {"source": "jira", "count": "statusCategory = Done AND resolved >= {cycle.start}"}
APP_MERGED = {"source": "gh", "count": "repo:acme/app is:pr is:merged merged:>={cycle.start}"}
SURVEY_ACTIVATION = {"source": "sheet", "cell": "Survey!B2"}
SIGNUPS_Q = {"source": "sheet", "range": "'Team KPIs'!B2:B93", "agg": "sum"}
ACTIVATED_Q = {"source": "sheet", "range": "'Team KPIs'!C2:C93", "agg": "sum"}


def _kr(kr_id: str, title: str, metric: dict[str, Any], target: float, **extra: Any) -> dict[str, Any]:
    return {"id": kr_id, "title": title, "target": target, **extra, "metric": metric}


def objectives() -> list[dict[str, Any]]:
    """The 20 objectives. Publishing: the first KR of most objectives publishes (a Jira comment, a
    GitHub comment or an OKR Board row), as a real configuration would."""
    j, gh = "jira", "gh"
    o: list[dict[str, Any]] = []

    def objective(n: int, title: str, owner: str, krs: list[dict[str, Any]], kind: str = "committed") -> None:
        o.append({"id": f"O{n}", "title": title, "owner": owner, "kind": kind, "key_results": krs})

    objective(1, "Make onboarding delightful", "growth", [
        _kr("O1-KR1", "Close 300 onboarding bugs", ONB_BUGS_DONE, 300, unit="bugs", publish=[{"to": j, "issue": "ONB-2"}]),
        _kr("O1-KR2", "Keep activation above 40%", SURVEY_ACTIVATION, 0.4, start=0.3, direction="stay_above"),
        _kr("O1-KR3", "Sign up 15,000 users", SIGNUPS_Q, 15000, unit="signups"),
    ], kind="aspirational")
    objective(2, "Ship the app's next version", "product", [
        _kr("O2-KR1", "Merge 400 app pull requests", APP_MERGED, 400, unit="PRs", publish=[{"to": gh, "issue": "acme/okrs#1"}]),
        _kr("O2-KR2", "Merge 80% of the app PRs opened this quarter", {"ratio": {
            "numerator": {"source": gh, "count": "repo:acme/app is:pr is:merged created:{cycle.start}..{cycle.end}"},
            "denominator": {"source": gh, "count": "repo:acme/app is:pr created:{cycle.start}..{cycle.end}"}}}, 0.8, start=0.4),
        _kr("O2-KR3", "Close the app-2 milestone", {"source": gh, "repo": "acme/app", "milestone": "app-2"}, 1, direction="milestone"),
    ])
    objective(3, "Speed up the platform team", "platform", [
        _kr("O3-KR1", "Deliver 1,200 platform story points", {"source": j, "sum": "Story Points", "jql": PLAT_DONE_JQL}, 1200,
            unit="points", publish=[{"to": j, "issue": "PLAT-1"}]),
        _kr("O3-KR2", "Bring platform cycle time under 5 days", {"source": j, "avg": "Cycle Time", "jql": PLAT_DONE_JQL}, 5,
            start=12, direction="decrease", unit="days"),
        _kr("O3-KR3", "Keep open platform bugs under 150", {"source": j, "count": "project = PLAT AND type = Bug AND statusCategory != Done"},
            150, direction="stay_below", unit="bugs"),
    ])
    objective(4, "Raise product quality", "quality", [
        _kr("O4-KR1", "Keep bugs under 35% of open work", {"formula": "100 * bugs / max(open, 1)", "vars": {
            "bugs": OPEN_BUGS, "open": {"source": j, "count": "statusCategory != Done"}}}, 35, direction="stay_below", unit="%",
            publish=[{"to": "sheet", "range": "'OKR Board'!B2:E2"}]),
        _kr("O4-KR2", "Fix the urgent bugs", {"source": j, "count": "priority in (Highest, High) AND type = Bug AND resolution = Unresolved"},
            0, start=200, direction="decrease", unit="bugs"),
        _kr("O4-KR3", "Halve the open bugs", OPEN_BUGS, 300, start=600, direction="decrease", unit="bugs"),
    ])
    objective(5, "Make the API reliable", "platform", [
        _kr("O5-KR1", "No open API regressions", {"source": gh, "count": "repo:acme/api is:issue is:open label:regression"}, 0,
            start=20, direction="decrease", publish=[{"to": gh, "issue": "acme/okrs#2"}]),
        _kr("O5-KR2", "Merge 350 API pull requests", {"source": gh, "count": "repo:acme/api is:pr is:merged merged:{cycle.start}..{cycle.end}"},
            350, unit="PRs"),
        _kr("O5-KR3", "Close the api-2 milestone", {"source": gh, "repo": "acme/api", "milestone": "api-2"}, 1, direction="milestone"),
    ])
    objective(6, "Renew the web front end", "web", [
        _kr("O6-KR1", "Merge 350 web pull requests", {"source": gh, "count": "repo:acme/web is:pr is:merged merged:{cycle.start}..{cycle.end}"},
            350, unit="PRs", publish=[{"to": gh, "issue": "acme/okrs#2"}]),
        _kr("O6-KR2", "Close the web-2 milestone", {"source": gh, "repo": "acme/web", "milestone": "web-2"}, 1, direction="milestone"),
        _kr("O6-KR3", "Close 70% of the web issues opened this quarter", {"ratio": {
            "numerator": {"source": gh, "count": "repo:acme/web is:issue is:closed created:{cycle.start}..{cycle.end}"},
            "denominator": {"source": gh, "count": "repo:acme/web is:issue created:{cycle.start}..{cycle.end}"}}}, 0.7, start=0.3),
    ])
    objective(7, "Grow revenue", "sales", [
        _kr("O7-KR1", "Book $200k of revenue", {"source": "sheet", "range": "'Team KPIs'!E2:E93", "agg": "sum"}, 200000, unit="$",
            publish=[{"to": "sheet", "range": "'OKR Board'!B3:E3"}]),
        _kr("O7-KR2", "Average daily activation of 50%", {"source": "sheet", "range": "'Team KPIs'!D2:D93", "agg": "avg"}, 0.5, start=0.4),
        _kr("O7-KR3", "Reach 1,500 weekly active teams", {"source": "sheet", "cell": "Survey!B4"}, 1500, start=900, unit="teams"),
    ], kind="aspirational")
    objective(8, "Delight customers", "support", [
        _kr("O8-KR1", "NPS of 50", {"source": "sheet", "cell": "Survey!B3"}, 50, start=30, publish=[{"to": "sheet", "range": "'OKR Board'!B4:E4"}]),
        _kr("O8-KR2", "Churn under 2%", {"source": "sheet", "cell": "Survey!B5"}, 0.02, start=0.05, direction="decrease"),
        _kr("O8-KR3", "Resolve 150 customer issues", {"source": j, "count": "labels = customer AND statusCategory = Done AND resolved >= {cycle.start}"},
            150, unit="issues"),
    ])
    objective(9, "Ship mobile 2.0", "mobile", [
        _kr("O9-KR1", "Complete 500 mobile issues", {"source": j, "count": "project = MOB AND statusCategory = Done AND resolved >= {cycle.start}"},
            500, unit="issues", publish=[{"to": j, "issue": "MOB-1"}]),
        _kr("O9-KR2", "Deliver 2,500 mobile story points", {"source": j, "sum": "Story Points", "jql": "project = MOB AND statusCategory = Done"},
            2500, unit="points"),
        _kr("O9-KR3", "Empty the MOB-2.0 backlog", {"source": j, "count": 'project = MOB AND fixVersion = "MOB-2.0" AND statusCategory != Done'},
            0, start=100, direction="decrease"),
    ])
    objective(10, "Run growth experiments", "growth", [
        _kr("O10-KR1", "Finish 400 growth issues", {"source": j, "count": "project = GROW AND statusCategory = Done AND resolved >= {cycle.start}"},
            400, publish=[{"to": j, "issue": "GROW-1"}]),
        _kr("O10-KR2", "Finish 60% of the growth issues created this quarter", {"formula": "100 * done / max(created, 1)", "vars": {
            "done": "O10-KR1", "created": {"source": j, "count": "project = GROW AND created >= {cycle.start}"}}}, 60, unit="%"),
        _kr("O10-KR3", "Activate 6,000 users", ACTIVATED_Q, 6000, unit="users"),
    ], kind="aspirational")
    objective(11, "Harden security", "security", [
        _kr("O11-KR1", "Burn down open security issues", {"source": j, "count": "labels = security AND statusCategory != Done"}, 0,
            start=150, direction="decrease", publish=[{"to": gh, "issue": "acme/okrs#3"}]),
        _kr("O11-KR2", "Merge 60 security pull requests", {"source": gh, "count": "org:acme is:pr is:merged label:security merged:>={cycle.start}"}, 60),
        _kr("O11-KR3", "Security fixes done in under 6 days", {"source": j, "avg": "Cycle Time", "jql": "labels = security AND statusCategory = Done"},
            6, start=12, direction="decrease", unit="days"),
    ])
    objective(12, "Pay down tech debt", "platform", [
        _kr("O12-KR1", "Close 150 tech-debt issues", {"source": j, "count": "labels = tech-debt AND statusCategory = Done AND resolved >= {cycle.start}"},
            150, publish=[{"to": j, "issue": "PLAT-1"}]),
        _kr("O12-KR2", "Deliver 800 tech-debt points", {"source": j, "sum": "Story Points", "jql": "labels = tech-debt AND statusCategory = Done"}, 800),
        _kr("O12-KR3", "Keep open PRs under 400", {"source": gh, "count": "org:acme is:pr is:open"}, 400, direction="stay_below"),
    ])
    objective(13, "Deliver predictably", "engineering", [
        _kr("O13-KR1", "Average cycle time under 6 days", {"source": j, "avg": "Cycle Time", "jql": "statusCategory = Done AND resolved >= {cycle.start}"},
            6, start=10, direction="decrease", unit="days", publish=[{"to": "sheet", "range": "'OKR Board'!B5:E5"}]),
        _kr("O13-KR2", "Complete 2,000 issues", DONE_IN_CYCLE, 2000),
        _kr("O13-KR3", "Finish 70% of what we start", {"ratio": {
            "numerator": DONE_IN_CYCLE, "denominator": {"source": j, "count": "created >= {cycle.start}"}}}, 0.7, start=0.4),
    ])
    objective(14, "Company onboarding goal (tracked by leadership too)", "leadership", [
        _kr("O14-KR1", "Onboarding bugs closed (same query as O1-KR1)", ONB_BUGS_DONE, 300),
        _kr("O14-KR2", "Activation rate (same cell as O1-KR2)", SURVEY_ACTIVATION, 0.4, start=0.3, direction="stay_above"),
        _kr("O14-KR3", "App PRs merged (same query as O2-KR1)", APP_MERGED, 400, publish=[{"to": gh, "issue": "acme/okrs#1"}]),
    ])
    objective(15, "Engineering throughput", "engineering", [
        _kr("O15-KR1", "Merge 1,000 pull requests org-wide", {"source": gh, "count": "org:acme is:pr is:merged merged:{cycle.start}..{cycle.end}"},
            1000, unit="PRs", publish=[{"to": gh, "issue": "acme/okrs#3"}]),
        _kr("O15-KR2", "Open 1,200 pull requests this quarter", {"source": gh, "count": "org:acme is:pr created:{cycle.start}..{cycle.end}"}, 1200),
        _kr("O15-KR3", "Close or merge 1,300 pull requests", {"source": gh, "count": "org:acme is:pr is:closed"}, 1300),
    ])
    objective(16, "Platform epics", "platform", [
        _kr("O16-KR1", "Finish 30 platform epics", {"source": j, "count": "project = PLAT AND type = Epic AND statusCategory = Done"}, 30,
            publish=[{"to": j, "issue": "PLAT-1"}]),
        _kr("O16-KR2", "Platform story points (same query as O3-KR1)", {"source": j, "sum": "Story Points", "jql": PLAT_DONE_JQL}, 1200),
        _kr("O16-KR3", "Points per bug fixed", {"formula": "pts / max(bugs, 1)", "vars": {
            "pts": "O16-KR2", "bugs": {"source": j, "count": "project = PLAT AND type = Bug AND statusCategory = Done AND resolved >= {cycle.start}"}}},
            10, start=2),
    ])
    objective(17, "Release train on time", "release", [
        _kr("O17-KR1", "Close the app-3 milestone", {"source": gh, "repo": "acme/app", "milestone": "app-3"}, 1, direction="milestone"),
        _kr("O17-KR2", "Close the api-3 milestone", {"source": gh, "repo": "acme/api", "milestone": "api-3"}, 1, direction="milestone"),
        _kr("O17-KR3", "Release-3 completion", {"formula": "100 * (app + api) / 2", "vars": {"app": "O17-KR1", "api": "O17-KR2"}}, 100,
            unit="%", publish=[{"to": gh, "issue": "acme/okrs#1"}]),
    ])
    objective(18, "Support backlog under control", "support", [
        _kr("O18-KR1", "Leave no open issue unassigned", {"source": j, "count": "assignee is EMPTY AND statusCategory != Done"}, 0,
            start=600, direction="decrease", publish=[{"to": j, "issue": "ONB-2"}]),
        _kr("O18-KR2", "Finish 75% of onboarding issues", {"ratio": {
            "numerator": {"source": j, "count": "project = ONB AND statusCategory = Done"},
            "denominator": {"source": j, "count": "project = ONB"}}}, 0.75, start=0.4),
        _kr("O18-KR3", "A day with 220 signups", {"source": "sheet", "range": "'Team KPIs'!B2:B501", "agg": "max"}, 220, start=150),
    ])
    objective(19, "Activation funnel", "growth", [
        _kr("O19-KR1", "Activate 45% of signups", {"formula": "100 * activated / max(signups, 1)", "vars": {
            "activated": ACTIVATED_Q, "signups": SIGNUPS_Q}}, 45, start=35, unit="%", publish=[{"to": "sheet", "range": "'OKR Board'!B6:E6"}]),
        _kr("O19-KR2", "Latest daily activation above 40%", {"source": "sheet", "range": "'Team KPIs'!D2:D501", "agg": "last"}, 0.4,
            start=0.3, direction="stay_above"),
        _kr("O19-KR3", "Report KPIs every day", {"source": "sheet", "range": "'Team KPIs'!B2:B501", "agg": "count"}, 92, unit="days"),
    ])
    objective(20, "Grow the ecosystem", "devrel", [
        _kr("O20-KR1", "Fewer than 5 open customer issues in the app", {"source": gh, "count": "repo:acme/app is:issue is:open label:customer"}, 5,
            direction="stay_below", publish=[{"to": gh, "issue": "acme/okrs#2"}]),
        _kr("O20-KR2", "Close 60% of the issues opened this quarter", {"ratio": {
            "numerator": {"source": gh, "count": "org:acme is:issue is:closed created:{cycle.start}..{cycle.end}"},
            "denominator": {"source": gh, "count": "org:acme is:issue created:{cycle.start}..{cycle.end}"}}}, 0.6, start=0.3),
        _kr("O20-KR3", "Clear the growth UX backlog", {"source": j, "count": "project = GROW AND labels = ux AND statusCategory != Done"}, 0,
            start=80, direction="decrease"),
    ])
    return o


QUICK_OBJECTIVES = ("O1", "O2", "O3", "O4")  # every metric kind, two GitHub searches and a milestone


def select(quick: bool) -> list[dict[str, Any]]:
    every = objectives()
    return [o for o in every if o["id"] in QUICK_OBJECTIVES] if quick else every


def config_document(objs: list[dict[str, Any]], sources_fragment: str, store_url: str) -> str:
    """okrsync.yaml: the sandbox's `sources:` fragment (as the sandbox prints it) plus the objectives."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 200
    body = io.StringIO()
    yaml.dump({"objectives": objs}, body)
    head = io.StringIO()
    yaml.dump({"version": 1, "store": store_url, "cycle": CYCLE}, head)
    return "# written by `python -m bench`; regenerated on every run\n" + head.getvalue() + sources_fragment + body.getvalue()


def source_metrics(metric: dict[str, Any]) -> list[dict[str, Any]]:
    """The source metrics a KR's metric reads (a ratio's parts, a formula's own-metric vars)."""
    if "ratio" in metric:
        return [metric["ratio"]["numerator"], metric["ratio"]["denominator"]]
    if "formula" in metric:
        return [v for v in metric["vars"].values() if isinstance(v, dict)]
    return [metric]


def kind_of(metric: dict[str, Any]) -> str:
    for key in ("ratio", "formula", "count", "sum", "avg", "milestone", "cell", "range"):
        if key in metric:
            return key
    raise ValueError(metric)
