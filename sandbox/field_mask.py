"""Google's partial-response field masks (`fields=spreadsheetId,sheets(properties(title,sheetId))`),
parsed with a lark grammar and applied to a JSON answer."""

from __future__ import annotations

from typing import Any

from lark import Lark, Transformer, UnexpectedInput, v_args

GRAMMAR = r"""
mask: item ("," item)*
item: NAME ("/" NAME)* ["(" mask ")"]
NAME: /[A-Za-z_][A-Za-z0-9_]*/ | "*"
%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, start="mask", parser="lalr", maybe_placeholders=True)
Tree = dict[str, "Tree"]  # field name -> the fields kept below it (empty: all of them)


class MaskError(ValueError):
    pass


@v_args(inline=True)
class _ToTree(Transformer):
    def mask(self, *items: Tree) -> Tree:
        merged: Tree = {}
        for item in items:
            _merge(merged, item)
        return merged

    def item(self, *parts: Any) -> Tree:
        *names, sub = parts
        tree: Tree = sub or {}
        for name in reversed(names):
            tree = {str(name): tree}
        return tree


def _merge(into: Tree, other: Tree) -> None:
    for key, sub in other.items():
        if key in into and into[key] and sub:
            _merge(into[key], sub)
        else:
            into[key] = {} if key in into and not into[key] else sub


def parse_mask(text: str) -> Tree:
    try:
        return _ToTree().transform(_PARSER.parse(text))
    except UnexpectedInput:
        raise MaskError(f"Invalid field selection {text}") from None


def apply_mask(data: Any, tree: Tree) -> Any:
    """Keep only the fields of `tree`; an empty tree keeps everything below."""
    if not tree:
        return data
    if isinstance(data, list):
        return [apply_mask(item, tree) for item in data]
    if isinstance(data, dict):
        return {k: apply_mask(v, tree.get(k, tree.get("*", {}))) for k, v in data.items() if k in tree or "*" in tree}
    return data
