"""An error okrsync did not foresee is kept per KR with its text, never with a secret in it."""

from __future__ import annotations

from flows.connect import resolve_secret, unexpected


def test_unforeseen_errors_mask_every_resolved_secret() -> None:
    inner = resolve_secret("${A}", {"A": "ghp_abcdefghijkl0123\n"})  # a secret file's trailing newline
    outer = resolve_secret("${B}", {"B": "prefix-ghp_abcdefghijkl0123-suffix"})
    assert inner == "ghp_abcdefghijkl0123"
    error = unexpected(ValueError(f"refused {outer!r} and 'token {inner}'"))
    assert str(error) == "unexpected error: ValueError: refused '***' and 'token ***'"
    assert error.error_class == "unavailable"
