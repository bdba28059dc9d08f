"""A JQL subset, parsed with a lark grammar and compiled to a predicate over issue states.

Supported: `=`, `!=`, `IN`, `NOT IN`, `IS [NOT] EMPTY|NULL`, `>`, `>=`, `<`, `<=` (dates and numbers),
`AND`, `OR`, `NOT`, parentheses and `ORDER BY`. Anything else is refused with a `JqlError` (Jira
answers it 400 with its errorMessages shape): a query the sandbox cannot evaluate exactly never
yields a count.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, v_args
from lark.exceptions import VisitError

from sandbox.jira_store import CATEGORIES, EPIC_LINK, ISSUE_TYPES, PRIORITIES, RESOLUTIONS, STATUSES, IssueState, JiraStore

GRAMMAR = r"""
start: [or_expr] [order_by]

?or_expr: and_expr
        | or_expr _OR and_expr      -> any_of
?and_expr: unary
         | and_expr _AND unary      -> all_of
?unary: _NOT unary                  -> negate
      | "(" or_expr ")"
      | clause

clause: field OPERATOR value              -> compare
      | field _IN values                  -> is_in
      | field _NOT _IN values             -> not_in
      | field _IS empty                   -> is_empty
      | field _IS _NOT empty              -> is_not_empty

field: WORD | STRING | CF
?value: WORD       -> word
      | STRING     -> string
      | function
      | empty
function: WORD "(" [arg ("," arg)*] ")"
?arg: WORD | STRING
values: "(" value ("," value)* ")"
empty: _EMPTY | _NULL

order_by: _ORDER _BY sort_key ("," sort_key)*
sort_key: field [DIRECTION]

_OR.2: /OR\b/i | "||"
_AND.2: /AND\b/i | "&&"
_NOT.2: /NOT\b/i
_IN.2: /IN\b/i
_IS.2: /IS\b/i
_EMPTY.2: /EMPTY\b/i
_NULL.2: /NULL\b/i
_ORDER.2: /ORDER\b/i
_BY.2: /BY\b/i
DIRECTION.2: /(ASC|DESC)\b/i
OPERATOR: "!=" | ">=" | "<=" | "!~" | "=" | ">" | "<" | "~"
CF.2: /cf\[\d+\]/i
WORD: /[A-Za-z0-9_.\-+@\/:]+/
STRING: /"(?:[^"\\]|\\.)*"/ | /'(?:[^'\\]|\\.)*'/

%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True)
EMPTY = object()  # the value of `= EMPTY`, and of `resolution = Unresolved`
ORDERED = {"date", "number"}
UNSUPPORTED_FIELDS = {"summary", "description", "text", "comment", "sprint", "component", "environment", "due", "duedate"}


class JqlError(ValueError):
    """A query Jira would reject, or one the sandbox does not support (message in Jira's words)."""


@dataclass(frozen=True)
class Field:
    """How a JQL field reads an issue and how it reads a literal."""

    name: str
    kind: str  # single, multi, date, number
    read: Callable[[IssueState], Any]
    literal: Callable[[str], Any]


@dataclass(frozen=True)
class Query:
    matches: Callable[[IssueState], bool]
    order: list[tuple[Field, bool]]  # (field, descending)
    bounded: bool  # has a search condition (Cloud's /search/jql refuses queries without one)

    def run(self, states: list[IssueState]) -> list[IssueState]:
        found = [s for s in states if self.matches(s)]
        if not self.order:
            return sorted(found, key=lambda s: (s.issue.project.key, s.issue.number), reverse=True)
        for field, descending in reversed(self.order):  # stable sorts, last key first; empty values last
            present = [s for s in found if field.read(s) not in (None, set())]
            absent = [s for s in found if field.read(s) in (None, set())]
            found = sorted(present, key=lambda s: _sort_key(field.read(s)), reverse=descending) + absent
        return found


def parse(jql: str, store: JiraStore, now: dt.datetime) -> Query:
    """Compile `jql` against the store's fields and values; raises JqlError."""
    try:
        tree = _PARSER.parse(jql)
    except UnexpectedInput as error:
        raise JqlError(_syntax_message(jql, error)) from None
    try:
        return _Compiler(store, now).transform(tree)
    except VisitError as error:  # lark wraps what the compiler raises
        raise error.orig_exc from None


def _sort_key(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value


def _syntax_message(jql: str, error: UnexpectedInput) -> str:
    where = f"(line {error.line}, character {error.column})" if error.line != -1 else ""
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        return f"Error in the JQL Query: Expecting either a value, list or function but got end of query. {where}".strip()
    position = error.pos_in_stream or 0
    rest = jql[position:]
    if isinstance(error, UnexpectedCharacters) and rest[:1] in "\"'":
        return f"Error in the JQL Query: The quoted string '{rest[1:]}' has not been completed. {where}"
    word = (rest.split() or [""])[0]
    if word.casefold() in {"was", "changed"}:
        return f"The okrsync sandbox does not support the history operator '{word.upper()}'. {where}"
    if isinstance(error, UnexpectedToken) and error.token.type == "WORD" and {"OPERATOR", "_IN"} & set(error.expected):
        return (
            f"Error in the JQL Query: Expecting operator but got '{word}'. The valid operators are '=', '!=', '<', '>', "
            f"'<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. {where}"
        )
    return f"Error in the JQL Query: Expecting either a value, list or function but got '{word}'. {where}"


def _unquote(text: str) -> str:
    if text[:1] in "\"'":
        body = text[1:-1]
        return body.replace("\\" + text[0], text[0]).replace("\\\\", "\\")
    return text


@v_args(inline=True)
class _Compiler(Transformer):
    def __init__(self, store: JiraStore, now: dt.datetime):
        super().__init__()
        self.store, self.now = store, now
        self.zone = zoneinfo.ZoneInfo(store.timezone)

    # --- structure -------------------------------------------------------------------------------

    def start(self, condition: Callable[[IssueState], bool] | None, order: list[tuple[Field, bool]] | None) -> Query:
        return Query(condition or (lambda state: True), order or [], condition is not None)

    def any_of(self, left: Callable, right: Callable) -> Callable[[IssueState], bool]:
        return lambda state: left(state) or right(state)

    def all_of(self, left: Callable, right: Callable) -> Callable[[IssueState], bool]:
        return lambda state: left(state) and right(state)

    def negate(self, inner: Callable) -> Callable[[IssueState], bool]:
        return lambda state: not inner(state)

    def order_by(self, *keys: tuple[Field, bool]) -> list[tuple[Field, bool]]:
        return list(keys)

    def sort_key(self, field: Field, direction: Token | None) -> tuple[Field, bool]:
        return field, bool(direction and direction.upper() == "DESC")

    # --- values ----------------------------------------------------------------------------------

    def word(self, token: Token) -> str:
        return str(token)

    def string(self, token: Token) -> str:
        return _unquote(str(token))

    def empty(self) -> object:
        return EMPTY

    def function(self, name: Token, *args: Any) -> tuple[str, list[str]]:
        return str(name), [_unquote(str(a)) for a in args if a is not None]

    def values(self, *items: Any) -> list[Any]:
        return list(items)

    # --- clauses ---------------------------------------------------------------------------------

    def compare(self, field: Field, operator: Token, value: Any) -> Callable[[IssueState], bool]:
        op = str(operator)
        if op in ("~", "!~") or (op in ("<", "<=", ">", ">=") and field.kind not in ORDERED):
            raise JqlError(f"The operator '{op}' is not supported by the '{field.name}' field.")
        if value is EMPTY:
            if op not in ("=", "!="):
                raise JqlError(f"The operator '{op}' does not support the EMPTY value.")
            return self.is_empty(field, None) if op == "=" else self.is_not_empty(field, None)
        wanted = self._literal(field, value)
        if wanted is EMPTY:
            return self.is_empty(field, None) if op == "=" else self.is_not_empty(field, None)
        if op == "=":
            return self._member(field, [wanted])
        if op == "!=":
            return self._not_member(field, [wanted])
        compare = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op]
        return lambda state: (found := field.read(state)) is not None and compare(found, wanted)

    def is_in(self, field: Field, items: list[Any]) -> Callable[[IssueState], bool]:
        wanted = [self._literal(field, item) for item in items]
        member = self._member(field, [w for w in wanted if w is not EMPTY])
        if EMPTY in wanted:
            empty = self.is_empty(field, None)
            return lambda state: member(state) or empty(state)
        return member

    def not_in(self, field: Field, items: list[Any]) -> Callable[[IssueState], bool]:
        wanted = [self._literal(field, item) for item in items]
        return self._not_member(field, [w for w in wanted if w is not EMPTY])

    def is_empty(self, field: Field, _: Any) -> Callable[[IssueState], bool]:
        return lambda state: field.read(state) in (None, set())

    def is_not_empty(self, field: Field, _: Any) -> Callable[[IssueState], bool]:
        return lambda state: field.read(state) not in (None, set())

    @staticmethod
    def _member(field: Field, wanted: list[Any]) -> Callable[[IssueState], bool]:
        if field.kind == "multi":
            return lambda state: bool(field.read(state) & set(wanted))
        return lambda state: field.read(state) in wanted

    @staticmethod
    def _not_member(field: Field, wanted: list[Any]) -> Callable[[IssueState], bool]:
        """Jira's != and NOT IN never match an issue whose field is empty."""
        if field.kind == "multi":
            return lambda state: bool(found := field.read(state)) and not (found & set(wanted))
        return lambda state: (found := field.read(state)) is not None and found not in wanted

    def _literal(self, field: Field, value: Any) -> Any:
        if value is EMPTY:
            return EMPTY
        if isinstance(value, tuple):  # a function
            name, args = value
            if name.casefold() == "currentuser" and field.name in ("assignee", "reporter"):
                return self.store.api_user.account_id
            if field.kind != "date":
                raise JqlError(f"Unable to find JQL function '{name}({', '.join(args)})'.")
            return self._date_function(name, args, field)
        return field.literal(str(value))

    # --- fields ----------------------------------------------------------------------------------

    def field(self, token: Token) -> Field:
        name = _unquote(str(token))
        key = name.casefold()
        store = self.store

        def pick(catalog: dict[str, Any], what: str, value_of: Callable[[Any], Any]) -> Callable[[str], Any]:
            def literal(text: str) -> Any:
                found = catalog.get(text.casefold()) or next((v for v in catalog.values() if str(getattr(v, "id", "")) == text), None)
                if found is None:
                    raise JqlError(f"The value '{text}' does not exist for the field '{what}'.")
                return value_of(found)

            return literal

        if key == "project":
            projects = {p.key.casefold(): p for p in store.projects.values()} | {p.name.casefold(): p for p in store.projects.values()}
            return Field("project", "single", lambda s: s.issue.project.key, pick(projects, "project", lambda p: p.key))
        if key in ("issuetype", "type"):
            return Field("issuetype", "single", lambda s: s.issue.issue_type.id, pick(ISSUE_TYPES, name, lambda t: t.id))
        if key == "status":
            return Field("status", "single", lambda s: s.status.id, pick(STATUSES, "status", lambda t: t.id))
        if key in ("statuscategory", "category"):
            categories = CATEGORIES | {c.name.casefold(): c for c in CATEGORIES.values()}
            return Field("statusCategory", "single", lambda s: s.status.category.key, pick(categories, name, lambda c: c.key))
        if key == "resolution":
            resolutions = RESOLUTIONS | {"unresolved": EMPTY}
            return Field("resolution", "single", lambda s: s.resolution.id if s.resolution else None, pick(resolutions, "resolution", lambda r: r if r is EMPTY else r.id))
        if key == "priority":
            return Field("priority", "single", lambda s: s.issue.priority.id, pick(PRIORITIES, "priority", lambda p: p.id))
        if key in ("assignee", "reporter"):
            attribute = key

            def user(text: str) -> str:
                found = store.find_user(text)
                if found is None:
                    raise JqlError(f"The value '{text}' does not exist for the field '{attribute}'.")
                return found.account_id

            return Field(attribute, "single", lambda s: (p := getattr(s.issue, attribute)) and p.account_id, user)
        if key == "labels":
            return Field("labels", "multi", lambda s: {label.casefold() for label in s.issue.labels}, str.casefold)
        if key == "fixversion":
            versions = store.versions
            return Field("fixVersion", "multi", lambda s: {v.id for v in s.issue.fix_versions}, pick(versions, "fixVersion", lambda v: v.id))
        if key in ("parent", EPIC_LINK.name.casefold(), EPIC_LINK.id, f"cf[{EPIC_LINK.number}]"):
            field_name = "parent" if key == "parent" else EPIC_LINK.name

            def issue_key(text: str) -> str:
                if text.upper() not in store.issues:
                    raise JqlError(f"The value '{text}' does not exist for the field '{field_name}'.")
                return text.upper()

            return Field(field_name, "single", lambda s: s.issue.parent, issue_key)
        if key in ("key", "issuekey", "id"):

            def known_key(text: str) -> str:
                found = store.issues.get(text.upper()) or store.by_id.get(text)
                if found is None:
                    raise JqlError(f"An issue with key '{text}' does not exist for field 'key'.")
                return found.key

            return Field("key", "single", lambda s: s.issue.key, known_key)
        if key in ("created", "createddate"):
            return Field("created", "date", lambda s: s.issue.created, lambda text: self._date(text, "created"))
        if key in ("updated", "updateddate"):
            return Field("updated", "date", lambda s: s.updated, lambda text: self._date(text, "updated"))
        if key in ("resolved", "resolutiondate"):
            return Field("resolved", "date", lambda s: s.resolved, lambda text: self._date(text, "resolved"))
        custom = store.custom_field(name)
        if custom is not None:

            def number(text: str) -> float:
                try:
                    return float(text)
                except ValueError:
                    raise JqlError(f"The value '{text}' does not exist for the field '{custom.name}'.") from None

            return Field(custom.name, "number", lambda s: s.issue.values.get(custom.id), number)
        if key in UNSUPPORTED_FIELDS:
            raise JqlError(f"The okrsync sandbox does not support searching by '{name}'.")
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")

    # --- dates -----------------------------------------------------------------------------------

    def _date(self, text: str, field: str) -> dt.datetime:
        """An absolute date (in the user's time zone) or a period relative to now ('-5d', '4w 2d')."""
        for pattern in ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text.strip(), pattern).replace(tzinfo=self.zone)
            except ValueError:
                continue
        period = _period(text)
        if period is None:
            raise JqlError(
                f"Date value '{text}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
                "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
            )
        return self.now + period

    def _date_function(self, name: str, args: list[str], field: Field) -> dt.datetime:
        local = self.now.astimezone(self.zone)
        try:
            shift = int(args[0]) if args else 0
        except ValueError:
            raise JqlError(f"The okrsync sandbox supports only a whole number of units in '{name}({args[0]})'.") from None
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        starts: dict[str, Callable[[], dt.datetime]] = {
            "day": lambda: day + dt.timedelta(days=shift),
            "week": lambda: day - dt.timedelta(days=(day.weekday() + 1) % 7) + dt.timedelta(weeks=shift),  # weeks start on Sunday
            "month": lambda: _add_months(day.replace(day=1), shift),
            "year": lambda: day.replace(month=1, day=1, year=day.year + shift),
        }
        ends = {"day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}
        lowered = name.casefold()
        if lowered == "now" and not args:
            return self.now
        for unit, start in starts.items():
            if lowered == f"startof{unit}":
                return start()
            if lowered == f"endof{unit}":
                begin = start()
                after = begin + ends[unit] if unit in ends else (_add_months(begin, 1) if unit == "month" else begin.replace(year=begin.year + 1))
                return after - dt.timedelta(milliseconds=1)
        raise JqlError(f"Unable to find JQL function '{name}({', '.join(args)})'.")


def _add_months(day: dt.datetime, months: int) -> dt.datetime:
    index = day.month - 1 + months
    return day.replace(year=day.year + index // 12, month=index % 12 + 1)


def _period(text: str) -> dt.timedelta | None:
    """'-5d', '4w 2d', '+1h 30m' as a timedelta; None when the text is not a period."""
    units = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    parts = text.lstrip("+-").split()
    if not parts:
        return None
    total = dt.timedelta()
    for part in parts:
        amount, unit = part[:-1], part[-1:].lower()
        if unit not in units or not amount.isdigit():
            return None
        total += dt.timedelta(**{units[unit]: int(amount)})
    return sign * total
