"""The pack station's checks, without the database: a packer's draft of the parcels of one shipment,
and what each scan, removal or new parcel does to it.

A scan names a product by its barcode or SKU. It is accepted when the shipment still needs a unit of
it, into the parcel being filled (the last one); a wrong item, or one too many, is refused with a
message naming it. A kit counts when it is scanned itself (a kit packed ready-made) or once each of its
components has been scanned as often as one kit holds. The draft lives in the packer's session until
the shipment is packed (orders.fulfilment.packing.parcels_pack checks everything again).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from orders.fulfilment.exceptions import PackingInvalid
from orders.fulfilment.pack_selectors import PackLine, PackPart
from orders.fulfilment.packing import ParcelInput, parcel_weight
from orders.models import Parcel

DEFAULT_PACKAGE = Parcel.PackageType.MEDIUM_BOX


@dataclass
class DraftParcel:
    # {shipment line id: whole units}
    items: dict[int, int] = field(default_factory=dict)
    # {kit line id: {component product id: units scanned towards the next kit}}
    parts: dict[int, dict[int, int]] = field(default_factory=dict)
    # As typed (grams); blank: what its units weigh.
    weight: str = ""
    package_type: str = DEFAULT_PACKAGE

    @property
    def is_empty(self) -> bool:
        return not any(self.items.values()) and not any(n for parts in self.parts.values() for n in parts.values())


@dataclass
class PackDraft:
    parcels: list[DraftParcel] = field(default_factory=lambda: [DraftParcel()])

    @property
    def current(self) -> DraftParcel:
        return self.parcels[-1]

    def packed(self, line_id: int) -> int:
        return sum(parcel.items.get(line_id, 0) for parcel in self.parcels)

    def as_data(self) -> dict:
        """For the session (JSON: keys are strings)."""
        return {
            "parcels": [
                {
                    "items": {str(k): v for k, v in parcel.items.items() if v},
                    "parts": {str(k): {str(p): n for p, n in parts.items() if n} for k, parts in parcel.parts.items()},
                    "weight": parcel.weight,
                    "package_type": parcel.package_type,
                }
                for parcel in self.parcels
            ]
        }

    @classmethod
    def from_data(cls, data) -> "PackDraft":
        """A draft from the session; anything unreadable starts a new one."""
        try:
            parcels = [
                DraftParcel(
                    items={int(k): int(v) for k, v in parcel.get("items", {}).items()},
                    parts={
                        int(k): {int(p): int(n) for p, n in parts.items()}
                        for k, parts in parcel.get("parts", {}).items()
                    },
                    weight=str(parcel.get("weight", "")),
                    package_type=str(parcel.get("package_type", DEFAULT_PACKAGE)),
                )
                for parcel in data["parcels"]
            ]
        except (KeyError, TypeError, ValueError, AttributeError):
            return cls()
        return cls(parcels=parcels or [DraftParcel()])


@dataclass(frozen=True)
class ScanResult:
    accepted: bool
    message: str
    # The line the scan counted for, to highlight it.
    line_id: int | None = None


def _names(code: str, sku: str, barcode: str) -> bool:
    return bool(code) and (code == barcode or code.upper() == sku.upper())


def scan(
    draft: PackDraft, lines: list[PackLine], code: str, *, identify: Callable[[str], object | None] = lambda code: None
) -> ScanResult:
    """Count one scanned unit into the current parcel, or refuse it. `identify(code)` names the
    product of a code that is not in the shipment (for the message), or None."""
    code = code.strip()
    if not code:
        return ScanResult(False, "Scan an item, or type its barcode or SKU and press Enter.")
    direct = [line for line in lines if _names(code, line.sku, line.barcode)]
    for line in direct:
        if draft.packed(line.id) < line.quantity:
            draft.current.items[line.id] = draft.current.items.get(line.id, 0) + 1
            return ScanResult(True, f"{line.sku}: {draft.packed(line.id)} of {line.quantity}", line.id)
    if direct:
        line = direct[0]
        return ScanResult(False, f"Too many {line.sku}: all {line.quantity} are packed already.", line.id)
    components = [(line, part) for line in lines for part in line.parts if _names(code, part.sku, part.barcode)]
    for line, part in components:
        if _add_part(draft, line, part):
            done = draft.packed(line.id)
            progress = _progress(draft.current, line)
            if progress:
                return ScanResult(True, f"{part.sku} for kit {line.sku}: {progress}", line.id)
            return ScanResult(True, f"Kit {line.sku} complete: {done} of {line.quantity}", line.id)
    if components:
        line, part = components[0]
        return ScanResult(
            False, f"Too many {part.sku}: every {line.sku} kit still to pack has its {part.per_kit} already.", line.id
        )
    product = identify(code)
    if product is not None:
        return ScanResult(False, f"Wrong item: {product.sku} {product.name} is not in this shipment.")
    return ScanResult(False, f"Unknown code {code}: no product has this barcode or SKU.")


def _add_part(draft: PackDraft, line: PackLine, part: PackPart) -> bool:
    """Count a component towards the kits of `line` in the current parcel; False if none needs it."""
    kits_left = line.quantity - draft.packed(line.id)
    parts = draft.current.parts.setdefault(line.id, {})
    if parts.get(part.product_id, 0) + 1 > part.per_kit * kits_left:
        return False
    parts[part.product_id] = parts.get(part.product_id, 0) + 1
    whole = min(parts.get(p.product_id, 0) // p.per_kit for p in line.parts)
    if whole:
        draft.current.items[line.id] = draft.current.items.get(line.id, 0) + whole
        for p in line.parts:
            parts[p.product_id] -= whole * p.per_kit
    return True


def _progress(parcel: DraftParcel, line: PackLine) -> str:
    """A kit begun in the parcel: which of its components are scanned so far ("" when none)."""
    parts = parcel.parts.get(line.id, {})
    if not any(parts.values()):
        return ""
    return ", ".join(f"{p.sku} {parts.get(p.product_id, 0)} of {p.per_kit}" for p in line.parts)


def remove_one(draft: PackDraft, lines: list[PackLine], index: int, line_id: int) -> ScanResult:
    """Take a unit of a line out of a parcel (a kit begun there: its scanned components)."""
    if not 0 <= index < len(draft.parcels):
        return ScanResult(False, "There is no such parcel.")
    parcel = draft.parcels[index]
    line = next((line for line in lines if line.id == line_id), None)
    if line is None:
        return ScanResult(False, "That line is not in this shipment.")
    if any(parcel.parts.get(line_id, {}).values()):
        parcel.parts.pop(line_id)
        return ScanResult(True, f"The scanned parts of kit {line.sku} are taken out of parcel {index + 1}.", line_id)
    if not parcel.items.get(line_id):
        return ScanResult(False, f"Parcel {index + 1} holds no {line.sku}.", line_id)
    parcel.items[line_id] -= 1
    return ScanResult(
        True, f"One {line.sku} taken out of parcel {index + 1}: {draft.packed(line_id)} of {line.quantity}", line_id
    )


def new_parcel(draft: PackDraft, lines: list[PackLine]) -> ScanResult:
    """Start another parcel; the one being filled must hold something and no half-scanned kit."""
    current = draft.current
    if current.is_empty:
        return ScanResult(False, f"Parcel {len(draft.parcels)} is still empty: scan something into it first.")
    begun = [line.sku for line in lines if any(current.parts.get(line.id, {}).values())]
    if begun:
        return ScanResult(False, f"Finish kit {', '.join(begun)} first: its components must go in one parcel.")
    draft.parcels.append(DraftParcel(package_type=current.package_type))
    return ScanResult(True, f"Parcel {len(draft.parcels)} started: scans go into it now.")


def drop_parcel(draft: PackDraft, index: int) -> ScanResult:
    """Remove an empty parcel (the draft keeps at least one)."""
    if not 0 <= index < len(draft.parcels) or len(draft.parcels) == 1:
        return ScanResult(False, "There is no parcel to remove.")
    if not draft.parcels[index].is_empty:
        return ScanResult(False, f"Parcel {index + 1} is not empty: take its items out first.")
    draft.parcels.pop(index)
    return ScanResult(True, f"Parcel {index + 1} removed.")


def read_parcel_fields(draft: PackDraft, data: Mapping[str, str]) -> None:
    """Take the weights and package types typed on the station (`weight-<n>`, `package-<n>`; the
    weight it showed by default in `weight-default-<n>`)."""
    for index, parcel in enumerate(draft.parcels):
        if f"weight-{index}" in data:
            typed = data[f"weight-{index}"].strip()[:12]
            # The station shows the computed weight in the field: sent back unchanged, it stays the
            # computed one (and follows the parcel's contents) rather than becoming a typed weight.
            parcel.weight = "" if typed == data.get(f"weight-default-{index}") else typed
        package = data.get(f"package-{index}")
        if package in Parcel.PackageType.values:
            parcel.package_type = package


def still_to_scan(draft: PackDraft, lines: list[PackLine]) -> list[str]:
    """What keeps the shipment from being packed: units not scanned yet, kits begun."""
    missing = [
        f"{line.sku} {line.quantity - draft.packed(line.id)} more"
        for line in lines
        if draft.packed(line.id) < line.quantity
    ]
    for index, parcel in enumerate(draft.parcels, start=1):
        missing.extend(f"kit {line.sku} half scanned in parcel {index}" for line in lines if _progress(parcel, line))
    return missing


def parcel_inputs(draft: PackDraft, lines: list[PackLine]) -> list[ParcelInput]:
    """The draft as parcels_pack takes it; raises PackingInvalid for a weight that is not a number."""
    inputs, problems = [], []
    for index, parcel in enumerate(draft.parcels, start=1):
        typed = parcel.weight.replace(",", "").replace(" ", "")
        weight = None
        if typed:
            if not typed.isdigit() or int(typed) < 1:
                problems.append(f"Parcel {index}: the weight is a whole number of grams, not {parcel.weight!r}.")
            else:
                weight = int(typed)
        inputs.append(ParcelInput(items=dict(parcel.items), weight_grams=weight, package_type=parcel.package_type))
    if problems:
        raise PackingInvalid(" ".join(problems))
    return inputs


@dataclass(frozen=True)
class StationLine:
    """A line as the station shows it."""

    line: PackLine
    packed: int
    # Units in each parcel, in parcel order.
    per_parcel: tuple[int, ...]
    # A kit begun in the current parcel: its components so far.
    progress: str

    @property
    def is_done(self) -> bool:
        return self.packed >= self.line.quantity


@dataclass(frozen=True)
class StationParcel:
    index: int
    parcel: DraftParcel
    # (line, units) in the parcel.
    contents: tuple[tuple[PackLine, int], ...]
    computed_weight: int
    is_current: bool
    # Kits begun in the parcel: (line, its components so far).
    begun: tuple[tuple[PackLine, str], ...] = ()


def station_lines(draft: PackDraft, lines: list[PackLine]) -> list[StationLine]:
    return [
        StationLine(
            line=line,
            packed=draft.packed(line.id),
            per_parcel=tuple(parcel.items.get(line.id, 0) for parcel in draft.parcels),
            progress=_progress(draft.current, line),
        )
        for line in lines
    ]


def station_parcels(draft: PackDraft, lines: list[PackLine]) -> list[StationParcel]:
    by_id = {line.id: line for line in lines}
    return [
        StationParcel(
            index=index,
            parcel=parcel,
            contents=tuple((by_id[k], n) for k, n in parcel.items.items() if n and k in by_id),
            computed_weight=parcel_weight(by_id, parcel.items),
            is_current=index == len(draft.parcels) - 1,
            begun=tuple((line, _progress(parcel, line)) for line in lines if _progress(parcel, line)),
        )
        for index, parcel in enumerate(draft.parcels)
    ]
