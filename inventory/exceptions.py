from dataclasses import dataclass


class InventoryError(Exception):
    """Base of every error the inventory services raise; the message is meant for the user."""


class InvalidStockOperation(InventoryError):
    """The request itself is wrong (a kit cannot be counted, a bin of another warehouse, ...)."""


@dataclass(frozen=True)
class Shortage:
    sku: str
    warehouse: str
    requested: int
    available: int
    # Which balance is short: "available" (on hand less reserved), "on hand", "reserved", "in bin X", ...
    balance: str = "available"

    def __str__(self):
        return f"{self.sku} in {self.warehouse}: requested {self.requested}, {self.balance} {self.available}"


class InsufficientStock(InventoryError):
    """Not enough stock for one or more lines; nothing was changed. `shortages` names each line."""

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        super().__init__("Not enough stock: " + "; ".join(str(shortage) for shortage in shortages))


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: its line (the header is line 1; None for the whole file),
    the column it concerns ("" when none) and the reason, in words meant for the person who sent it."""

    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(InventoryError):
    """A file was refused and nothing was written. `errors` names each bad row, column and reason;
    `error_count` is the number of problems found, which may exceed the errors listed."""

    def __init__(self, errors: list[RowError], *, error_count: int | None = None):
        self.errors = errors
        self.error_count = error_count if error_count is not None else len(errors)
        first = errors[0].message if errors else "the file was refused"
        super().__init__(f"{self.error_count} problem(s) found; nothing was imported. First: {first}")
