"""GitHub's data: users, repositories, milestones, issues and pull requests, issue comments.

An item's dates (created, closed, merged) decide what it looks like at the sandbox clock's time."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.clock import optional_time, parse_time


@dataclass(frozen=True)
class User:
    login: str
    id: int


@dataclass
class Milestone:
    id: int
    number: int
    title: str
    description: str
    creator: User
    created_at: dt.datetime
    due_on: dt.datetime | None
    closed_at: dt.datetime | None

    def is_closed(self, now: dt.datetime) -> bool:
        return self.closed_at is not None and self.closed_at <= now


@dataclass
class Comment:
    id: int
    issue: Item
    user: User
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class Item:
    """An issue or a pull request (GitHub's issues API serves both)."""

    id: int
    repo: Repo
    number: int
    title: str
    body: str
    user: User
    is_pr: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    merged_at: dt.datetime | None
    labels: list[str]
    milestone: Milestone | None
    assignees: list[User]
    draft: bool = False
    comments: list[Comment] = field(default_factory=list)

    def closed(self, now: dt.datetime) -> dt.datetime | None:
        return self.closed_at if self.closed_at is not None and self.closed_at <= now else None

    def merged(self, now: dt.datetime) -> dt.datetime | None:
        return self.merged_at if self.merged_at is not None and self.merged_at <= now else None

    def updated(self, now: dt.datetime) -> dt.datetime:
        moments = [self.created_at, self.closed(now), *(c.updated_at for c in self.comments if c.created_at <= now)]
        return max(m for m in moments if m is not None)


@dataclass
class Repo:
    id: int
    owner: User
    name: str
    description: str
    created_at: dt.datetime
    labels: dict[str, str]  # name -> colour
    milestones: list[Milestone] = field(default_factory=list)
    items: dict[int, Item] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def visible(self, now: dt.datetime) -> list[Item]:
        return [item for item in self.items.values() if item.created_at <= now]


LABEL_COLOURS = ("d73a4a", "a2eeef", "7057ff", "008672", "e4e669", "0075ca", "cfd3d7", "fbca04")


class GitHubStore:
    """All repositories of one GitHub (or GitHub Enterprise) server."""

    def __init__(self, raw: dict[str, Any]):
        self.lock = threading.RLock()
        self._user_ids = itertools.count(1001)
        self.users: dict[str, User] = {}
        self.api_user = self.user(str(raw.get("api_user", "okr-bot")))
        for login in raw.get("users", []):
            self.user(str(login))
        self._item_ids = itertools.count(2_000_001)
        self._comment_ids = itertools.count(3_000_001)
        self._milestone_ids = itertools.count(4_001)
        self.repos: dict[str, Repo] = {}
        self.comments: dict[int, Comment] = {}
        for n, entry in enumerate(raw.get("repos", [])):
            try:
                repo = self._repo(n, entry)
            except (KeyError, ValueError, TypeError) as error:
                raise ValueError(f"github repo {entry.get('name', '?')}: {error}") from None
            self.repos[repo.full_name.casefold()] = repo

    def user(self, login: str) -> User:
        """The user with this login (created on first mention)."""
        if login.casefold() not in self.users:
            self.users[login.casefold()] = User(login, next(self._user_ids))
        return self.users[login.casefold()]

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".casefold())

    def add_comment(self, item: Item, body: str, now: dt.datetime) -> Comment:
        comment = Comment(next(self._comment_ids), item, self.api_user, body, now, now)
        item.comments.append(comment)
        self.comments[comment.id] = comment
        return comment

    # --- loading ---------------------------------------------------------------------------------

    def _repo(self, n: int, entry: dict[str, Any]) -> Repo:
        owner, name = str(entry["name"]).split("/", 1)
        labels = {str(k): str(v) for k, v in (entry.get("labels") or {}).items()}
        repo = Repo(1_000_001 + n, self.user(owner), name, str(entry.get("description", "")), parse_time(entry.get("created_at", "2020-01-01")), labels)
        for number, m in enumerate(entry.get("milestones", []), 1):
            repo.milestones.append(
                Milestone(
                    next(self._milestone_ids),
                    int(m.get("number", number)),
                    str(m["title"]),
                    str(m.get("description", "")),
                    self.user(str(m.get("creator", owner))),
                    parse_time(m.get("created_at", repo.created_at)),
                    optional_time(m.get("due_on")),
                    optional_time(m.get("closed_at")),
                )
            )
        for number, raw in enumerate(entry.get("issues", []), 1):
            item = self._item(repo, int(raw.get("number", number)), raw)
            repo.items[item.number] = item
            for label in item.labels:
                repo.labels.setdefault(label, LABEL_COLOURS[len(repo.labels) % len(LABEL_COLOURS)])
        return repo

    def _item(self, repo: Repo, number: int, raw: dict[str, Any]) -> Item:
        milestone = None
        if raw.get("milestone"):
            milestone = next((m for m in repo.milestones if m.title == str(raw["milestone"])), None)
            if milestone is None:
                raise ValueError(f"#{number}: unknown milestone {raw['milestone']!r}")
        merged = optional_time(raw.get("merged_at"))
        kind = str(raw.get("kind", "issue"))
        if kind not in ("issue", "pr"):
            raise ValueError(f"#{number}: kind must be 'issue' or 'pr', not {kind!r}")
        item = Item(
            id=next(self._item_ids),
            repo=repo,
            number=number,
            title=str(raw.get("title", f"Item {number}")),
            body=str(raw.get("body", "")),
            user=self.user(str(raw.get("user", self.api_user.login))),
            is_pr=kind == "pr",
            created_at=parse_time(raw["created_at"]),
            closed_at=optional_time(raw.get("closed_at")) or merged,
            merged_at=merged,
            labels=[str(label) for label in raw.get("labels", [])],
            milestone=milestone,
            assignees=[self.user(str(login)) for login in raw.get("assignees", [])],
            draft=bool(raw.get("draft", False)),
        )
        for entry in raw.get("comments", []):
            at = parse_time(entry.get("created_at", item.created_at))
            comment = Comment(next(self._comment_ids), item, self.user(str(entry.get("user", item.user.login))), str(entry["body"]), at, at)
            item.comments.append(comment)
            self.comments[comment.id] = comment
        return item
