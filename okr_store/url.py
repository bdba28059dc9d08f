"""Where the store is: `--store`, else OKRSYNC_STORE, else the file's `store:`, else ./okrsync.db."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mapping.loader import LoadedConfig
from mapping.secrets import expand_env

DEFAULT_STORE = "sqlite:///okrsync.db"
STORE_ENV = "OKRSYNC_STORE"


def resolve_store_url(option: str | None, environ: Mapping[str, str], from_file: str | None, base_dir: Path | None) -> str:
    """The store URL by precedence. A relative SQLite path from the configuration is relative to `base_dir`
    (the folder of the file that sets `store:`, or of the configuration).

    Raises ValueError for an unusable URL (the message never contains the password).
    """
    if option:
        url = option
    elif environ.get(STORE_ENV):
        url = environ[STORE_ENV]
    elif from_file:
        url = _relative_to(expand_env(from_file, environ), base_dir)
    else:
        url = _relative_to(DEFAULT_STORE, base_dir)
    try:
        make_url(url)
    except ArgumentError:
        raise ValueError("the store URL is not a valid SQLAlchemy URL (e.g. sqlite:///okrsync.db)") from None
    return url


def _relative_to(url: str, base_dir: Path | None) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:" or base_dir is None:
        return url
    if Path(parsed.database).is_absolute():
        return url
    return parsed.set(database=str(base_dir / parsed.database)).render_as_string(hide_password=False)


def store_url_for(loaded: LoadedConfig, option: str | None, environ: Mapping[str, str]) -> str:
    """The store URL of a loaded configuration (see :func:`resolve_store_url`)."""
    from_file = loaded.config.store
    base_dir = loaded.file_of(("store",)).parent if from_file else loaded.files[0].parent
    return resolve_store_url(option, environ, from_file, base_dir)
