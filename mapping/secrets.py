"""`${VAR}` references: which variables a value names, and their expansion."""

from __future__ import annotations

from collections.abc import Mapping

from mapping.schema import ENV_REF


class MissingVariable(KeyError):
    """A `${VAR}` reference whose variable is not set."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"environment variable {self.name} is not set"


def env_names(value: object) -> list[str]:
    """The environment variables a configuration value refers to (none for non-strings)."""
    return ENV_REF.findall(value) if isinstance(value, str) else []


def expand_env(text: str, environ: Mapping[str, str]) -> str:
    """Replace every `${VAR}` in `text`; raises :class:`MissingVariable` for an unset one."""

    def value_of(match) -> str:  # noqa: ANN001
        name = match.group(1)
        if not environ.get(name):
            raise MissingVariable(name)
        return environ[name]

    return ENV_REF.sub(value_of, text)
