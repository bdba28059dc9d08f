"""Derived KRs: a safe arithmetic expression over named values, evaluated by simpleeval."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

import simpleeval

_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.USub, ast.UAdd)
OPERATORS = {op: fn for op, fn in simpleeval.DEFAULT_OPERATORS.items() if op in _ARITHMETIC}
FUNCTIONS = {"min": min, "max": max, "abs": abs, "round": round}


class FormulaError(ValueError):
    """The formula cannot be evaluated (bad syntax, unknown name, division by zero...)."""


ALLOWED = "numbers, names, + - * / ** %, parentheses and min, max, abs, round"


def formula_names(expression: str) -> set[str]:
    """The variable names an expression reads; FormulaError for bad syntax or an unknown function."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        raise FormulaError(f"invalid formula syntax: {error.msg}") from None
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    unknown = sorted(called - FUNCTIONS.keys())
    if unknown:
        raise FormulaError(f"{', '.join(unknown)} is not a function here; a formula may use {ALLOWED}")
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - called


def evaluate_formula(expression: str, values: Mapping[str, float]) -> float:
    """Evaluate `expression` with `values` bound to its names; the result is a finite number."""
    evaluator = simpleeval.SimpleEval(operators=OPERATORS, functions=FUNCTIONS, names=dict(values))
    try:
        result = evaluator.eval(expression)
    except ZeroDivisionError:
        raise FormulaError("division by zero") from None
    except (simpleeval.OperatorNotDefined, simpleeval.FeatureNotAvailable, KeyError):
        # simpleeval raises KeyError for a comparison whose operator is not in OPERATORS
        raise FormulaError(f"unsupported syntax; a formula may use {ALLOWED}") from None
    except (simpleeval.InvalidExpression, SyntaxError, TypeError, OverflowError, ValueError) as error:
        raise FormulaError(f"cannot evaluate the formula: {error}") from None
    if isinstance(result, bool) or not isinstance(result, (int, float)) or not math.isfinite(result):
        raise FormulaError(f"the formula gives {result!r}, not a finite number")
    return float(result)


def check_formula(expression: str, names: set[str]) -> str | None:
    """Why the formula is not usable with these variable names, or None when it is."""
    try:
        evaluate_formula(expression, {name: 1.0 for name in names})
    except FormulaError as error:
        if str(error) == "division by zero":
            return None  # the sample values, not the formula, divided by zero
        return str(error)
    return None
