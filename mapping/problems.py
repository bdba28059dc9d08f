"""Problems found in a configuration, each pointing at a file, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]
# A path into the configuration as pydantic reports it: ("objectives", 0, "key_results", 1, "target").
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Location:
    file: Path
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    """A problem found on the merged configuration, before it is placed in a file."""

    loc: Loc
    message: str
    severity: Severity = "error"
    related: Loc | None = None  # e.g. where a duplicate id was first defined


@dataclass(frozen=True)
class Problem:
    location: Location
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = f"{self.location}: "
        if self.severity == "warning":
            prefix += "warning: "
        return f"{prefix}{self.field}: {self.message}" if self.field else f"{prefix}{self.message}"


def field_path(loc: Loc) -> str:
    """Render a loc as `objectives[0].key_results[1].target`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).isprintable() or not str(part).strip():
            text += f"[{str(part)!r}]"  # a key with a line break, or blank: quoted, so a problem stays one line
        else:
            text += f".{part}" if text else str(part)
    return text


class ConfigError(Exception):
    """The configuration has errors; `problems` lists every one of them (and the warnings)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors) or "invalid configuration")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]
