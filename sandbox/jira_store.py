"""Jira's data: catalogs (statuses, types, resolutions, priorities), users, projects, versions,
custom fields and issues. An issue's status moves along its dated transitions, so what the API
shows depends on the sandbox clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.clock import optional_time, parse_time


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


CATEGORIES = {
    c.key: c
    for c in (
        StatusCategory(2, "new", "To Do", "blue-gray"),
        StatusCategory(4, "indeterminate", "In Progress", "yellow"),
        StatusCategory(3, "done", "Done", "green"),
    )
}


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory

    @property
    def is_done(self) -> bool:
        return self.category.key == "done"


STATUSES = {
    s.name.casefold(): s
    for s in (
        Status("10000", "To Do", CATEGORIES["new"]),
        Status("10002", "Backlog", CATEGORIES["new"]),
        Status("3", "In Progress", CATEGORIES["indeterminate"]),
        Status("10003", "In Review", CATEGORIES["indeterminate"]),
        Status("10001", "Done", CATEGORIES["done"]),
        Status("6", "Closed", CATEGORIES["done"]),
        Status("10004", "Won't Do", CATEGORIES["done"]),
    )
}


@dataclass(frozen=True)
class Named:
    """A catalog entry of Jira: issue type, resolution or priority."""

    id: str
    name: str
    description: str = ""
    level: int = 0  # hierarchy level of an issue type (Epic 1, Sub-task -1)


ISSUE_TYPES = {
    t.name.casefold(): t
    for t in (
        Named("10000", "Epic", "A collection of related bugs, stories, and tasks.", 1),
        Named("10001", "Story", "Functionality or a feature expressed as a user goal."),
        Named("10002", "Task", "A small, distinct piece of work."),
        Named("10004", "Bug", "A problem or error."),
        Named("10003", "Sub-task", "A small piece of work that's part of a larger task.", -1),
    )
}
RESOLUTIONS = {
    r.name.casefold(): r
    for r in (
        Named("10000", "Done", "Work has been completed on this issue."),
        Named("10001", "Won't Do", "This issue won't be actioned."),
        Named("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
        Named("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed."),
    )
}
PRIORITIES = {p.name.casefold(): p for p in (Named(str(i), n) for i, n in enumerate(("Highest", "High", "Medium", "Low", "Lowest"), 1))}


def lookup(catalog: dict[str, Any], name: str, what: str) -> Any:
    try:
        return catalog[str(name).casefold()]
    except KeyError:
        known = ", ".join(sorted(v.name for v in catalog.values()))
        raise ValueError(f"unknown {what} {name!r} (known: {known})") from None


@dataclass(frozen=True)
class User:
    name: str
    display_name: str
    email: str
    account_id: str
    time_zone: str = "UTC"

    def matches(self, value: str) -> bool:
        return value.casefold() in {self.name.casefold(), self.display_name.casefold(), self.email.casefold(), self.account_id.casefold()}


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str


@dataclass(frozen=True)
class Version:
    id: str
    name: str
    project: str
    released: bool
    release_date: dt.date | None


@dataclass(frozen=True)
class CustomField:
    id: str
    name: str

    @property
    def number(self) -> int:
        return int(self.id.rsplit("_", 1)[1])


EPIC_LINK = CustomField("customfield_10014", "Epic Link")


@dataclass(frozen=True)
class Transition:
    at: dt.datetime
    status: Status
    resolution: Named | None


@dataclass
class Comment:
    id: str
    author: User
    body: str
    created: dt.datetime
    updated: dt.datetime


@dataclass
class Issue:
    id: str
    key: str
    project: Project
    issue_type: Named
    summary: str
    created: dt.datetime
    reporter: User | None
    assignee: User | None
    priority: Named
    labels: list[str]
    fix_versions: list[Version]
    parent: str | None
    transitions: list[Transition]
    values: dict[str, float]
    comments: list[Comment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    edited: dt.datetime | None = None

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass(frozen=True)
class IssueState:
    """An issue as it stands at one moment."""

    issue: Issue
    status: Status
    resolution: Named | None
    resolved: dt.datetime | None
    updated: dt.datetime


def state_at(issue: Issue, now: dt.datetime) -> IssueState:
    status, resolution, resolved, updated = STATUSES["to do"], None, None, issue.created
    for step in issue.transitions:
        if step.at > now:
            break
        if step.status.is_done and not status.is_done:
            resolved = step.at
        status, updated = step.status, step.at
        resolution = (step.resolution or RESOLUTIONS["done"]) if status.is_done else None
    if not status.is_done:
        resolved = None
    touched = [c.updated for c in issue.comments if c.created <= now] + ([issue.edited] if issue.edited else [])
    return IssueState(issue, status, resolution, resolved, max([updated, *touched]))


def account_id(name: str) -> str:
    """A stable Atlassian-looking account id for a user name."""
    return "712020:" + hashlib.sha256(name.encode()).hexdigest()[:32]


class JiraStore:
    """All of one Jira site's data; API handlers read and write it under `lock`."""

    def __init__(self, raw: dict[str, Any], deployment: str):
        self.lock = threading.RLock()
        self.deployment = deployment
        self.timezone = str(raw.get("timezone", "UTC"))
        self.users = {u.name: u for u in (self._user(entry) for entry in raw.get("users", []))}
        self.api_user = self._user(raw.get("api_user") or {"name": "okr-bot", "display_name": "OKR Bot"})
        self.users.setdefault(self.api_user.name, self.api_user)
        self.projects = {}
        for n, entry in enumerate(raw.get("projects", [])):
            project = Project(str(10000 + n), str(entry["key"]), str(entry.get("name", entry["key"])))
            self.projects[project.key] = project
        self.versions = {}
        for n, entry in enumerate(raw.get("versions", [])):
            date = optional_time(entry.get("release_date"))
            version = Version(str(10100 + n), str(entry["name"]), str(entry["project"]), bool(entry.get("released", False)), date.date() if date else None)
            self.versions[version.name.casefold()] = version
        self.custom_fields = [EPIC_LINK] + [CustomField(str(f["id"]), str(f["name"])) for f in raw.get("custom_fields", [])]
        self._ids = itertools.count(10000)
        self._comment_ids = itertools.count(10000)
        self.issues: dict[str, Issue] = {}
        for entry in raw.get("issues", []):
            try:
                issue = self._issue(entry)
            except (KeyError, ValueError, TypeError) as error:
                raise ValueError(f"jira issue {entry.get('key', '?')}: {error}") from None
            self.issues[issue.key] = issue
        self.by_id = {issue.id: issue for issue in self.issues.values()}

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "Cloud"

    # --- lookups ---------------------------------------------------------------------------------

    def find_issue(self, key_or_id: str, now: dt.datetime) -> Issue | None:
        issue = self.issues.get(key_or_id.upper()) or self.by_id.get(key_or_id)
        return issue if issue is not None and issue.created <= now else None

    def find_user(self, value: str) -> User | None:
        return next((u for u in self.users.values() if u.matches(value)), None)

    def custom_field(self, name_or_id: str) -> CustomField | None:
        wanted = name_or_id.casefold()
        return next((f for f in self.custom_fields if wanted in (f.id, f.name.casefold(), f"cf[{f.number}]")), None)

    def states(self, now: dt.datetime) -> list[IssueState]:
        """Every issue that exists at `now`, in key order."""
        return [state_at(issue, now) for issue in self.issues.values() if issue.created <= now]

    # --- writes ----------------------------------------------------------------------------------

    def add_comment(self, issue: Issue, body: str, now: dt.datetime) -> Comment:
        comment = Comment(str(next(self._comment_ids)), self.api_user, body, now, now)
        issue.comments.append(comment)
        return comment

    # --- loading ---------------------------------------------------------------------------------

    def _user(self, entry: dict[str, Any] | str) -> User:
        if isinstance(entry, str):
            entry = {"name": entry}
        name = str(entry["name"])
        return User(
            name,
            str(entry.get("display_name", name.replace(".", " ").title())),
            str(entry.get("email", f"{name}@example.com")),
            str(entry.get("account_id", account_id(name))),
            str(entry.get("time_zone", "UTC")),
        )

    def _person(self, name: Any) -> User | None:
        if name in (None, ""):
            return None
        user = self.find_user(str(name))
        if user is None:
            raise ValueError(f"unknown user {name!r}")
        return user

    def _issue(self, entry: dict[str, Any]) -> Issue:
        key = str(entry["key"]).upper()
        project = self.projects.get(key.rsplit("-", 1)[0])
        if project is None:
            raise ValueError(f"no project for key {key} (add it under jira.projects)")
        created = parse_time(entry["created"])
        transitions = [self._transition(t) for t in entry.get("transitions", [])]
        if "status" in entry:  # shorthand: the current status, reached when resolved (or at creation)
            at = optional_time(entry.get("resolved")) or created
            transitions.append(Transition(at, lookup(STATUSES, entry["status"], "status"), self._resolution(entry.get("resolution"))))
        values = {}
        for name, value in (entry.get("fields") or {}).items():
            custom = self.custom_field(str(name))
            if custom is None or custom is EPIC_LINK:
                raise ValueError(f"unknown custom field {name!r} (declare it under jira.custom_fields)")
            values[custom.id] = float(value)
        versions = []
        for name in entry.get("fix_versions", []):
            version = self.versions.get(str(name).casefold())
            if version is None:
                raise ValueError(f"unknown version {name!r} (declare it under jira.versions)")
            versions.append(version)
        issue = Issue(
            id=str(next(self._ids)),
            key=key,
            project=project,
            issue_type=lookup(ISSUE_TYPES, entry.get("type", "Task"), "issue type"),
            summary=str(entry.get("summary", key)),
            created=created,
            reporter=self._person(entry.get("reporter", self.api_user.name)),
            assignee=self._person(entry.get("assignee")),
            priority=lookup(PRIORITIES, entry.get("priority", "Medium"), "priority"),
            labels=[str(label) for label in entry.get("labels", [])],
            fix_versions=versions,
            parent=str(entry["parent"]).upper() if entry.get("parent") else None,
            transitions=sorted(transitions, key=lambda t: t.at),
            values=values,
            properties=dict(entry.get("properties") or {}),
        )
        for comment in entry.get("comments", []):
            at = parse_time(comment.get("created", created))
            author = self._person(comment.get("author", self.api_user.name)) or self.api_user
            issue.comments.append(Comment(str(next(self._comment_ids)), author, str(comment["body"]), at, at))
        return issue

    def _transition(self, entry: dict[str, Any]) -> Transition:
        return Transition(parse_time(entry["at"]), lookup(STATUSES, entry["status"], "status"), self._resolution(entry.get("resolution")))

    @staticmethod
    def _resolution(name: Any) -> Named | None:
        return None if name in (None, "") else lookup(RESOLUTIONS, name, "resolution")
