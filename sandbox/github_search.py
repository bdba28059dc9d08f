"""GitHub's issue-search syntax (`q=` of /search/issues), parsed with a lark grammar.

Qualifiers: repo, org, user, is (issue, pr, open, closed, merged, unmerged), type, state, label
(`a,b` is either, repeated qualifiers are all), milestone, no (label, milestone, assignee), author,
assignee, created, updated, closed, merged (date, `>=date`, `a..b`, `*..b`), sort; `-` negates;
other words match whole words of the title or body. Anything else raises `SearchError`, which
the API answers 422 "Validation Failed": never a count for a query the sandbox does not understand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedInput, v_args
from lark.exceptions import VisitError

from sandbox.github_store import GitHubStore, Item

GRAMMAR = r"""
start: term*
?term: NEG? NAME ":" qvalue       -> qualifier
     | NEG? (NAME | STRING)       -> text
qvalue: part (_COMMA part)*
?part: COMPARATOR atom            -> compare
     | atom _DOTS atom            -> span
     | atom                       -> exact
?atom: VALUE | STRING

NEG: "-"
_COMMA.2: ","
_DOTS.2: ".."
NAME: /[^\s:",.\-][^\s:"]*/
COMPARATOR: ">=" | "<=" | ">" | "<"
VALUE: /[^\s",.<>=]+(\.[^\s",.<>=]+)*/
STRING: /"[^"]*"/

%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)
DATE_QUALIFIERS = ("created", "updated", "closed", "merged")
QUALIFIERS = {"repo", "org", "user", "is", "type", "state", "label", "milestone", "no", "author", "assignee", *DATE_QUALIFIERS}
Predicate = Callable[[Item, dt.datetime], bool]


class SearchError(ValueError):
    """A query GitHub would refuse, or one the sandbox does not support."""


@dataclass(frozen=True)
class Part:
    """One value of a qualifier: exact, a comparison (`>=x`) or a span (`a..b`)."""

    low: str | None
    high: str | None
    comparator: str = ""


@dataclass(frozen=True)
class Search:
    matches: Predicate
    sort: tuple[str, bool] | None  # from a `sort:` qualifier: (field, descending)

    def run(self, items: list[Item], now: dt.datetime, sort: str | None, order: str) -> list[Item]:
        found = [item for item in items if item.created_at <= now and self.matches(item, now)]
        field, descending = (sort, order != "asc") if sort else (self.sort or ("created", True))
        keys: dict[str, Callable[[Item], object]] = {
            "created": lambda i: i.created_at,
            "updated": lambda i: i.updated(now),
            "comments": lambda i: sum(c.created_at <= now for c in i.comments),
        }
        if field not in keys:
            raise SearchError(f"sort must be one of created, updated or comments, not {field!r}")
        return sorted(found, key=lambda i: (keys[field](i), i.id), reverse=descending)


def parse(query: str, store: GitHubStore) -> Search:
    try:
        tree = _PARSER.parse(query)
    except UnexpectedInput as error:
        raise SearchError(f"The search query could not be parsed at character {error.column}: {query!r}") from None
    try:
        return _Compiler(store).transform(tree)
    except VisitError as error:  # lark wraps what the compiler raises
        raise error.orig_exc from None


def _unquote(text: str) -> str:
    return text[1:-1] if text.startswith('"') and text.endswith('"') else text


def _words(text: str) -> set[str]:
    return set("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


@v_args(inline=True)
class _Compiler(Transformer):
    def __init__(self, store: GitHubStore):
        super().__init__()
        self.store = store

    def start(self, *terms: tuple[str, Any]) -> Search:
        """All terms must hold, except that repeated repo:, org: and user: qualifiers are alternatives."""
        sort = next((_sort(name) for kind, name in terms if kind == "sort"), None)
        predicates = [p for kind, p in terms if kind == "filter"]
        scopes = [p for kind, p in terms if kind == "scope"]
        if scopes:
            predicates.append(_any(scopes))
        return Search(lambda item, now: all(p(item, now) for p in predicates), sort)

    def qvalue(self, *parts: Part) -> list[Part]:
        return list(parts)

    def exact(self, value: Token) -> Part:
        text = _unquote(str(value))
        return Part(text, text)

    def compare(self, comparator: Token, value: Token) -> Part:
        text = _unquote(str(value))
        return Part(text, text, str(comparator))

    def span(self, low: Token, high: Token) -> Part:
        return Part(_unquote(str(low)), _unquote(str(high)))

    def text(self, *tokens: Token) -> tuple[str, Predicate]:
        negated = tokens[0].type == "NEG"
        word = _unquote(str(tokens[-1]))
        if word in ("AND", "OR", "NOT"):
            raise SearchError(f"The okrsync sandbox does not support the boolean operator {word} in searches.")
        wanted = _words(word)

        def predicate(item: Item, now: dt.datetime) -> bool:
            return wanted <= _words(f"{item.title} {item.body}")

        return ("filter", (lambda item, now: not predicate(item, now)) if negated else predicate)

    def qualifier(self, *children: object) -> tuple[str, Any]:
        negated = isinstance(children[0], Token) and children[0].type == "NEG"
        name_token, parts = children[-2], children[-1]
        name = str(name_token).casefold()
        assert isinstance(parts, list)
        if name == "sort":
            return ("sort", parts[0].low)
        predicate = self._qualifier(name, parts)
        if negated:
            return ("filter", lambda item, now: not predicate(item, now))
        return ("scope" if name in ("repo", "org", "user") else "filter", predicate)

    # --- qualifiers ------------------------------------------------------------------------------

    def _qualifier(self, name: str, parts: list[Part]) -> Predicate:
        if name not in QUALIFIERS:
            raise SearchError(f"The okrsync sandbox does not support the search qualifier '{name}'.")
        if name in DATE_QUALIFIERS:
            return self._dates(name, parts)
        if any(p.comparator or p.low != p.high for p in parts):
            raise SearchError(f"The qualifier '{name}' does not take a range or comparison.")
        values = [p.low or "" for p in parts]
        lowered = [v.casefold() for v in values]
        if name == "repo":
            for value in values:
                owner, _, repo = value.partition("/")
                if self.store.repo(owner, repo) is None:
                    raise SearchError(_CANNOT_SEARCH)
            return lambda item, now: item.repo.full_name.casefold() in lowered
        if name in ("org", "user"):
            if not all(any(r.owner.login.casefold() == v for r in self.store.repos.values()) for v in lowered):
                raise SearchError(_CANNOT_SEARCH)
            return lambda item, now: item.repo.owner.login.casefold() in lowered
        if name in ("is", "type", "state"):
            return _any([self._state(name, value) for value in lowered])
        if name == "label":
            return lambda item, now: any(label.casefold() in lowered for label in item.labels)
        if name == "milestone":
            return lambda item, now: item.milestone is not None and item.milestone.title.casefold() in lowered
        if name == "no":
            checks = {
                "label": lambda item, now: not item.labels,
                "milestone": lambda item, now: item.milestone is None,
                "assignee": lambda item, now: not item.assignees,
            }
            unknown = [v for v in lowered if v not in checks]
            if unknown:
                raise SearchError(f"The okrsync sandbox does not support 'no:{unknown[0]}'.")
            return _any([checks[v] for v in lowered])
        if not all(v in self.store.users for v in lowered):  # author or assignee
            raise SearchError(_CANNOT_SEARCH)
        if name == "author":
            return lambda item, now: item.user.login.casefold() in lowered
        return lambda item, now: any(a.login.casefold() in lowered for a in item.assignees)

    @staticmethod
    def _state(name: str, value: str) -> Predicate:
        checks: dict[str, Predicate] = {
            "issue": lambda item, now: not item.is_pr,
            "pr": lambda item, now: item.is_pr,
            "open": lambda item, now: item.closed(now) is None,
            "closed": lambda item, now: item.closed(now) is not None,
            "merged": lambda item, now: item.is_pr and item.merged(now) is not None,
            "unmerged": lambda item, now: item.is_pr and item.closed(now) is not None and item.merged(now) is None,
        }
        checks["pull-request"] = checks["pr"]
        allowed = {"is": checks, "type": {k: checks[k] for k in ("issue", "pr")}, "state": {k: checks[k] for k in ("open", "closed")}}[name]
        if value not in allowed:
            raise SearchError(f"The okrsync sandbox does not support '{name}:{value}'.")
        return allowed[value]

    @staticmethod
    def _dates(name: str, parts: list[Part]) -> Predicate:
        def moment(item: Item, now: dt.datetime) -> dt.datetime | None:
            if name == "created":
                return item.created_at
            if name == "updated":
                return item.updated(now)
            return item.closed(now) if name == "closed" else item.merged(now)

        windows = [_window(part) for part in parts]

        def predicate(item: Item, now: dt.datetime) -> bool:
            found = moment(item, now)
            return found is not None and any(low <= found < high for low, high in windows)

        return predicate


_CANNOT_SEARCH = (
    "The listed users and repositories cannot be searched either because the resources do not exist "
    "or you do not have permission to view them."
)
_MIN = dt.datetime.min.replace(tzinfo=dt.UTC)
_MAX = dt.datetime.max.replace(tzinfo=dt.UTC)


def _any(predicates: list[Predicate]) -> Predicate:
    return lambda item, now: any(p(item, now) for p in predicates)


def _sort(value: str) -> tuple[str, bool]:
    field, _, direction = value.partition("-")
    return field, direction != "asc"


def _instant(text: str) -> tuple[dt.datetime, dt.datetime]:
    """The interval [start, end) a date (a whole UTC day) or a date-time (one second) covers."""
    try:
        if "T" not in text:
            day = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
            return day, day + dt.timedelta(days=1)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"'{text}' is not a valid date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ.") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment, moment + dt.timedelta(seconds=1)


def _window(part: Part) -> tuple[dt.datetime, dt.datetime]:
    """The interval [low, high) of dates a qualifier value accepts."""
    if part.comparator:
        start, end = _instant(part.low or "")
        return {">": (end, _MAX), ">=": (start, _MAX), "<": (_MIN, start), "<=": (_MIN, end)}[part.comparator]
    low = _MIN if part.low == "*" else _instant(part.low or "")[0]
    high = _MAX if part.high == "*" else _instant(part.high or "")[1]
    return low, high
