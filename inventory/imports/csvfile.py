"""Reading an uploaded CSV file into rows, naming every problem by line, column and reason.

Nothing here writes: the product and count imports build on these helpers to check a whole file
before they change anything.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from inventory.exceptions import ImportRejected, RowError

# Bigger files are refused before they are read; 20 MB holds a few hundred thousand rows.
MAX_FILE_BYTES = 20 * 1024 * 1024
# More rows are refused too: a count file this long already takes minutes to post, and bigger ones
# would run past the import task's time limit.
MAX_ROWS = 200_000
# The report lists at most this many problems (and says how many there were in all).
MAX_ERRORS = 1000
# Progress is reported to the job every so many rows.
PROGRESS_EVERY = 250

Progress = Callable[[int, int], None]

_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_GTIN_LENGTHS = (8, 12, 13, 14)
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str


@dataclass
class Row:
    """One data record: the line it starts on (the header is line 1) and its cells by column name,
    stripped of surrounding spaces; a column the record is too short for reads as ""."""

    line: int
    cells: dict[str, str]


class CellError(ValueError):
    """A cell's value is wrong; the message says why, to the person who filled it in."""


class Errors:
    """Collects the problems of one file; all are counted, the first MAX_ERRORS by line are listed."""

    # Beyond this many, problems are only counted: a file where every row is wrong must not exhaust
    # the worker's memory just to list more than anyone will read.
    _KEEP = MAX_ERRORS * 20

    def __init__(self):
        self._errors: list[RowError] = []
        self.count = 0

    def add(self, row: int | None, column: str, message: str) -> None:
        self.count += 1
        if len(self._errors) < self._KEEP:
            self._errors.append(RowError(row, column, message))

    def __bool__(self) -> bool:
        return self.count > 0

    def rejected(self) -> ImportRejected:
        listed = sorted(self._errors, key=lambda error: error.row or 0)[:MAX_ERRORS]
        if self.count > len(listed):
            listed.append(
                RowError(
                    None,
                    "",
                    f"{self.count:,} problems in all; only the first {len(listed):,} are listed. "
                    "Correct them and upload the file again to see the rest.",
                )
            )
        return ImportRejected(listed, error_count=self.count)


def refuse(message: str, *, row: int | None = None, column: str = "") -> ImportRejected:
    return ImportRejected([RowError(row, column, message)])


def read_rows(data: bytes, columns: Sequence[Column], errors: Errors) -> list[Row]:
    """The data rows of a CSV file whose header names some of `columns`.

    Blank lines are skipped. A record with more values than the header has columns is reported in
    `errors` and left out. Raises ImportRejected when the file cannot be read at all (size, encoding,
    header, no data rows, too many rows).
    """
    text = _decode(data)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names: list[str] | None = None
    rows: list[Row] = []
    last_line = data_rows = 0
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if names is None:
                names = _read_header(record, line, columns)
                continue
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise refuse(f"The file has more than {MAX_ROWS:,} data rows; split it into smaller files.")
            extra = [cell for cell in record[len(names) :] if cell.strip()]
            if extra:
                errors.add(
                    line,
                    "",
                    f"This line has {len(names) + len(extra)} values but the header names only "
                    f"{len(names)} columns; is a delimiter ('{delimiter}') inside a value that is not "
                    'quoted with "…"?',
                )
                continue
            cells = dict.fromkeys(names, "")
            cells.update((name, cell.strip()) for name, cell in zip(names, record, strict=False))
            rows.append(Row(line, cells))
    except csv.Error as error:
        raise refuse(f"The file cannot be read as CSV here: {error}.", row=reader.line_num) from error
    if names is None:
        raise refuse("The file is empty.")
    if not rows and not errors:
        raise refuse("The file has a header but no data rows.")
    return rows


def _decode(data: bytes) -> str:
    if not data:
        raise refuse("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it into smaller files.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse("The file is UTF-16 text; save it as CSV UTF-8 and upload it again.")
    if data.startswith(b"PK\x03\x04"):
        raise refuse(
            "This is a spreadsheet workbook (or another zip file), not CSV; in the spreadsheet, save "
            "it as CSV UTF-8 and upload that."
        )
    try:
        # utf-8-sig drops the byte-order mark that Excel writes in front of "CSV UTF-8" files.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise refuse(
            f"The file is not UTF-8 text: line {line} holds the byte 0x{data[error.start]:02X}, which "
            "UTF-8 does not allow (the file was probably saved as Windows-1252 or Latin-1). Save it "
            "as CSV UTF-8 and upload it again.",
            row=line,
        ) from error
    if "\x00" in text:
        raise refuse("The file contains NUL characters; it is not a CSV text file.")
    if not text.strip():
        raise refuse("The file is empty.")
    return text


def _sniff_delimiter(text: str) -> str:
    """Comma or semicolon, whichever the header line uses more.

    The header is the one line whose content is known (column names), so counting there is more
    reliable than csv.Sniffer's guess over data, where decimals and names may hold either character.
    Spreadsheets in locales with a decimal comma write semicolons.
    """
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def _read_header(record: list[str], line: int, columns: Sequence[Column]) -> list[str]:
    known = [column.name for column in columns]
    expected = ", ".join(known)
    names = [cell.strip().lower() for cell in record]
    problems = []
    first_position: dict[str, int] = {}
    for position, (name, cell) in enumerate(zip(names, record, strict=True), start=1):
        if not name:
            problems.append(RowError(line, f"column {position}", f"This column has no name; use {expected}."))
        elif name not in known:
            problems.append(RowError(line, cell.strip(), f"Unknown column; the columns are {expected}."))
        elif name in first_position:
            problems.append(
                RowError(line, name, f"The column appears twice (columns {first_position[name]} and {position}).")
            )
        else:
            first_position[name] = position
    for column in columns:
        if column.required and column.name not in first_position:
            problems.append(RowError(line, column.name, "This required column is missing from the header."))
    if problems:
        raise ImportRejected(problems)
    return names


def report_progress(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(done, total)


def database_upper(values: Iterable[str]) -> dict[str, str]:
    """Each value upper-cased by PostgreSQL, as the unique index on UPPER(sku) compares them.

    Python's str.upper() differs from the database's for some letters (ß becomes SS in Python only),
    and a file checked with one rule but written under the other would fail at the index.
    """
    distinct = sorted(set(values))
    if not distinct:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT value, upper(value) FROM unnest(%s::text[]) AS value", [distinct])
        return dict(cursor.fetchall())


def chunked(values: Sequence, size: int = 2000) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- cell values --------------------------------------------------------------------------------------


def decimal_value(text: str, *, max_digits: int, decimal_places: int) -> Decimal:
    """A decimal written with a dot, not negative, that fits the field without rounding."""
    if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
        raise CellError(f"{text} is negative; it must be zero or more.")
    if not _DECIMAL.fullmatch(text):
        if _DECIMAL.fullmatch(text.replace(",", ".", 1)):
            raise CellError(f"{text}: write decimals with a dot ({text.replace(',', '.', 1)}), not a comma.")
        raise CellError(f"{text!r} is not a number (digits with a dot for decimals, no thousands separators).")
    value = Decimal(text)
    step = Decimal(1).scaleb(-decimal_places)
    if value != value.quantize(step):
        raise CellError(f"{text} has more than {decimal_places} decimal places.")
    limit = 10 ** (max_digits - decimal_places)
    if value >= limit:
        raise CellError(f"{text} is too large; the most this column holds is {limit - step}.")
    return value.quantize(step)


def whole_number(text: str, *, maximum: int) -> int:
    """A whole number from 0 to `maximum`; "12.0" is accepted as 12 (spreadsheets write that)."""
    if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
        raise CellError(f"{text} is negative; it must be zero or more.")
    if _WHOLE.fullmatch(text):
        value = int(text)
    elif _DECIMAL.fullmatch(text) and Decimal(text) == Decimal(text).to_integral_value():
        value = int(Decimal(text))
    elif _DECIMAL.fullmatch(text):
        raise CellError(f"{text} is not a whole number.")
    else:
        raise CellError(f"{text!r} is not a number.")
    if value > maximum:
        raise CellError(f"{text} is too large; at most {maximum:,}.")
    return value


def boolean_value(text: str) -> bool:
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise CellError(f"{text!r} is not one of true/false, yes/no, 1/0.") from None


def text_value(text: str, *, max_length: int) -> str:
    if len(text) > max_length:
        raise CellError(f"{len(text)} characters is too long; at most {max_length}.")
    return text


def gtin_value(text: str) -> str:
    """A GTIN (EAN/UPC) of 8, 12, 13 or 14 digits whose last digit is its check digit."""
    if not _WHOLE.fullmatch(text):
        raise CellError(f"{text!r}: a barcode has digits only.")
    if len(text) not in _GTIN_LENGTHS:
        raise CellError(f"{text} has {len(text)} digits; a GTIN has 8, 12, 13 or 14.")
    # GS1 check digit: weights 3 and 1 alternate from the rightmost data digit.
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(text[:-1])))
    check = (10 - total % 10) % 10
    if int(text[-1]) != check:
        raise CellError(f"{text}: the check digit should be {check}, not {text[-1]}; is a digit mistyped?")
    return text


def plural(count: int, singular: str, several: str = "") -> str:
    """'1 product', '1,200 products'."""
    return f"{count:,} {singular if count == 1 else several or singular + 's'}"


def example_csv(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> str:
    """A small CSV file with every column, for people to start from."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    writer.writerows(rows)
    return buffer.getvalue()
