"""A1 notation as Google Sheets reads and writes it: `Sheet1!A1:B2`, `'Team KPIs'!B2`, `'It''s'!A:A`,
`Sheet1!2:4`, `Sheet1!A2:B` (open-ended), `A1:B2` (first sheet), `Sheet1` (whole sheet) and named ranges."""

from __future__ import annotations

from dataclasses import dataclass


class RangeError(ValueError):
    """A range Google cannot parse; the message is Google's."""

    def __init__(self, text: str):
        super().__init__(f"Unable to parse range: {text}")


@dataclass(frozen=True)
class Corner:
    """One end of an area; None means unbounded in that direction (a whole column or row)."""

    row: int | None
    col: int | None


@dataclass(frozen=True)
class A1:
    sheet: str | None  # None: the first sheet
    start: Corner | None  # None: the whole sheet, or the named range `name`
    end: Corner | None
    name: str | None = None  # a bare word: a sheet title or a named range


@dataclass(frozen=True)
class Box:
    """A concrete rectangle of cells, 0-based and inclusive."""

    row0: int
    col0: int
    row1: int
    col1: int

    @property
    def height(self) -> int:
        return self.row1 - self.row0 + 1

    @property
    def width(self) -> int:
        return self.col1 - self.col0 + 1


def parse_a1(text: str) -> A1:
    """Parse A1 notation (raises RangeError)."""
    sheet, area = _split_sheet(text)
    if area is None:
        return A1(sheet, None, None, None if sheet else text.strip())
    corners = _area(area)
    if corners is None:
        if sheet is not None and _is_name(area):  # 'Sheet1'!NamedRange
            return A1(sheet, None, None, area)
        if sheet is None and area.strip() and "'" not in area:
            return A1(None, None, None, area.strip())
        raise RangeError(text)
    return A1(sheet, *corners)


def resolve_box(a1: A1, rows: int, columns: int) -> Box:
    """The rectangle an A1 range covers on a grid, unbounded ends filled in, reversed ends swapped."""
    start, end = a1.start or Corner(None, None), a1.end or Corner(None, None)
    r0, r1 = start.row if start.row is not None else 0, end.row if end.row is not None else rows - 1
    c0, c1 = start.col if start.col is not None else 0, end.col if end.col is not None else columns - 1
    return Box(min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))


def format_range(sheet: str, box: Box) -> str:
    """`Sheet1!A1:B2` (`'Team KPIs'!B2` for a single cell of a sheet whose name needs quotes)."""
    first = f"{column_letters(box.col0)}{box.row0 + 1}"
    last = f"{column_letters(box.col1)}{box.row1 + 1}"
    return f"{quote_sheet(sheet)}!{first}" + ("" if first == last else f":{last}")


def quote_sheet(name: str) -> str:
    plain = name.isascii() and all(ch.isalnum() or ch == "_" for ch in name) and not name[0].isdigit()
    if plain and _corner(name) is None and not (name.isalpha() and len(name) <= 3):
        return name
    return "'" + name.replace("'", "''") + "'"


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _split_sheet(text: str) -> tuple[str | None, str | None]:
    """(sheet, area): the area is None when the text names a whole sheet (or a named range)."""
    text = text.strip()
    if text.startswith("'"):
        name, position = [], 1
        while position < len(text):
            if text[position] == "'":
                if text[position + 1 : position + 2] == "'":
                    name.append("'")
                    position += 2
                    continue
                rest = text[position + 1 :]
                if rest == "":
                    return "".join(name), None
                if rest.startswith("!"):
                    return "".join(name), rest[1:]
                raise RangeError(text)
            name.append(text[position])
            position += 1
        raise RangeError(text)
    if "!" in text:
        sheet, _, area = text.rpartition("!")
        if not sheet or "'" in sheet:
            raise RangeError(text)
        return sheet, area
    return None, text


def _is_name(text: str) -> bool:
    """A named range's name: letters, digits and underscores, not shaped like a cell (`A0`, `XFD9`)."""
    letters = len(text) - len(text.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    cell_like = 0 < letters <= 3 and text[letters:].isdigit()
    return bool(text) and text.isascii() and text.replace("_", "a").isalnum() and not text[0].isdigit() and not cell_like


def _area(text: str) -> tuple[Corner, Corner] | None:
    ends = text.split(":")
    if len(ends) > 2:
        return None
    corners = [_corner(end) for end in ends]
    if any(c is None for c in corners):
        return None
    if len(corners) == 1:
        only = corners[0]
        assert only is not None
        return (only, only) if only.row is not None and only.col is not None else None
    start, end = corners
    assert start is not None and end is not None
    kinds = {"column" if c.row is None else "row" if c.col is None else "cell" for c in (start, end)}
    return None if kinds == {"column", "row"} else (start, end)  # 'A:5' mixes a column with a row


def _corner(text: str) -> Corner | None:
    """`B2`, `$B$2`, `B` (a column) or `2` (a row) as 0-based indexes; None if it is none of those."""
    text = text.replace("$", "")
    letters = ""
    for ch in text:
        if not ch.isascii() or not ch.isalpha():
            break
        letters += ch
    digits = text[len(letters) :]
    if (not letters and not digits) or len(letters) > 3 or (digits and not digits.isdigit()):
        return None
    if digits and int(digits) < 1:
        return None
    col = None
    if letters:
        col = 0
        for ch in letters.upper():
            col = col * 26 + ord(ch) - ord("A") + 1
        col -= 1
    return Corner(int(digits) - 1 if digits else None, col)
