"""Reading the sandbox's data file (YAML or JSON); docs/sandbox.md describes its format."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError

SEED = Path(__file__).parent / "data" / "seed.yaml"
SECTIONS = {"now", "credentials", "jira", "github", "sheets", "faults"}


class DataError(ValueError):
    """A data file the sandbox cannot use; the message names the file."""


def read_data(source: str | Path | dict[str, Any] | None = None) -> dict[str, Any]:
    """The data as a plain dict: from a dict (copied), a .json/.yaml file, or the default seed."""
    if isinstance(source, dict):
        raw, where = copy.deepcopy(source), "data"
    else:
        path = Path(source) if source is not None else SEED
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
            raw = json.loads(text) if path.suffix == ".json" else YAML(typ="safe", pure=False).load(text)
        except OSError as error:
            raise DataError(f"{where}: cannot read the data file ({error.strerror})") from None
        except (ValueError, YAMLError) as error:
            raise DataError(f"{where}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}") from None
    if not isinstance(raw, dict):
        raise DataError(f"{where}: the data file must hold a mapping with sections {', '.join(sorted(SECTIONS))}")
    unknown = set(raw) - SECTIONS
    if unknown:
        raise DataError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(SECTIONS))}")
    return raw


def write_data(raw: dict[str, Any], path: Path) -> Path:
    """Write data as JSON (.json) or YAML (anything else)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(raw, indent=1, default=str) + "\n", encoding="utf-8")
    else:
        yaml = YAML(typ="safe", pure=False)
        yaml.default_flow_style = None
        with path.open("w", encoding="utf-8") as stream:
            yaml.dump(raw, stream)
    return path
