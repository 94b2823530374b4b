"""Parsing and validation of the inventory pages' input. Forms never change stock: views pass their
cleaned data to inventory.services, whose InventoryError messages the views add back as form errors."""

from itertools import groupby

from django import forms
from django.urls import reverse_lazy

from inventory import selectors
from inventory.models import Bin, Product, Warehouse
from inventory.services import StockLine

# The balances are 32-bit integers; a quantity beyond this in one operation is a typing mistake (a
# barcode in the quantity box), refused here rather than by the database.
MAX_QUANTITY = 1_000_000


class StaffForm(forms.Form):
    """Labels without the trailing colon, as everywhere else in the staff pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ProductFilterForm(StaffForm):
    q = forms.CharField(required=False, max_length=100, label="Search")
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False, empty_label="All warehouses")
    low = forms.BooleanField(required=False, label="Low stock")
    inactive = forms.BooleanField(required=False, label="Inactive")
    kits = forms.BooleanField(required=False, label="Kits")
    # The previous page's last key (upper(sku)); not shown, carried by the "next" link.
    after = forms.CharField(required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_list()

    def selector_arguments(self) -> dict:
        """Arguments of selectors.product_list; invalid input is ignored rather than refused."""
        data = self.cleaned_data if self.is_valid() else {}
        warehouse = data.get("warehouse")
        return {
            "query": data.get("q", ""),
            "warehouse_id": warehouse.pk if warehouse else None,
            "low_stock": data.get("low", False),
            "inactive": data.get("inactive", False),
            "kits": data.get("kits", False),
            "after": data.get("after", ""),
        }


class LowStockFilterForm(StaffForm):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False, empty_label="All warehouses")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_list()

    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def warehouse_id(self) -> int | None:
        warehouse = self.cleaned_data.get("warehouse") if self.is_valid() else None
        return warehouse.pk if warehouse else None

    def page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_valid() else None) or 1


# --- bins that follow the chosen warehouse ---------------------------------------------------------


# Also the first option the bin options endpoint returns (templates/inventory/partials/_bin_options.html).
BIN_EMPTY_LABEL = "—"


class BinChoiceIterator(forms.models.ModelChoiceIterator):
    """Bins grouped by warehouse, so that the list still says where each bin is without JavaScript."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for warehouse, bins in groupby(self.queryset, key=lambda bin_: bin_.warehouse):
            yield (str(warehouse), [self.choice(bin_) for bin_ in bins])


class BinField(forms.ModelChoiceField):
    iterator = BinChoiceIterator

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", BIN_EMPTY_LABEL)
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": "Choose a bin of this warehouse (quarantine and inactive bins are not offered)."},
        )
        super().__init__(queryset=selectors.bin_list(), **kwargs)

    def label_from_instance(self, obj):
        return obj.code


def warehouse_select(bin_field_id: str) -> forms.Select:
    """A warehouse select that reloads the options of its bin select (by element id) with htmx."""
    return forms.Select(
        attrs={
            "hx-get": reverse_lazy("inventory:bin-options"),
            "hx-target": f"#{bin_field_id}",
            "hx-swap": "innerHTML",
            "hx-trigger": "change",
        }
    )


def _limit_bins(form: forms.Form, bin_field: str, warehouse_field: str) -> None:
    """Offer (and accept) only the bins of the warehouse the form was sent or opened with."""
    value = form.data.get(warehouse_field) if form.is_bound else form.initial.get(warehouse_field)
    warehouse_id = getattr(value, "pk", value)
    if str(warehouse_id or "").isdigit():
        form.fields[bin_field].queryset = selectors.bin_list(warehouse_id=int(warehouse_id))


class SkuField(forms.CharField):
    """A product typed by SKU (case-insensitive); cleans to the Product."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("label", "SKU")
        super().__init__(**kwargs)

    def clean(self, value):
        sku = super().clean(value)
        if not sku:
            return None
        product = selectors.product_get_by_sku(sku=sku)
        if product is None:
            raise forms.ValidationError(f"No product has the SKU {sku}.")
        return product


# --- stock operations ------------------------------------------------------------------------------


class AdjustmentForm(StaffForm):
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), empty_label="Choose a warehouse", widget=warehouse_select("id_bin")
    )
    bin = BinField(help_text="Optional; a bin of the chosen warehouse.")
    quantity = forms.IntegerField(
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text="Signed: +5 adds five units, -3 takes three away.",
        widget=forms.NumberInput(attrs={"step": 1}),
    )
    reason = forms.CharField(max_length=200, help_text="Why: damaged, found, written off, ...")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_list()
        _limit_bins(self, "bin", "warehouse")

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError("Adjust by a whole number other than zero.")
        return quantity


class TransferForm(StaffForm):
    product = SkuField()
    from_warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(),
        label="From warehouse",
        empty_label="Choose a warehouse",
        widget=warehouse_select("id_from_bin"),
    )
    from_bin = BinField(label="From bin")
    to_warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(),
        label="To warehouse",
        empty_label="Choose a warehouse",
        widget=warehouse_select("id_to_bin"),
    )
    to_bin = BinField(label="To bin")
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_warehouse"].queryset = selectors.warehouse_list()
        self.fields["to_warehouse"].queryset = selectors.warehouse_list()
        _limit_bins(self, "from_bin", "from_warehouse")
        _limit_bins(self, "to_bin", "to_warehouse")

    @classmethod
    def initial_for(cls, *, product_id: str | None) -> dict:
        """Opened from a product's page (?product=<id>): its SKU is filled in."""
        product = selectors.product_get_or_none(product_id=int(product_id)) if (product_id or "").isdigit() else None
        return {"product": product.sku} if product else {}

    def clean(self):
        cleaned = super().clean()
        source, destination = cleaned.get("from_warehouse"), cleaned.get("to_warehouse")
        if source and destination and source == destination:
            self.add_error("to_warehouse", "Choose a warehouse other than the one the stock leaves.")
        return cleaned

    def service_arguments(self) -> dict:
        """Keyword arguments of services.stock_transfer, less the actor."""
        data = self.cleaned_data
        product, from_bin, to_bin = data["product"], data["from_bin"], data["to_bin"]
        return {
            "from_warehouse_id": data["from_warehouse"].pk,
            "to_warehouse_id": data["to_warehouse"].pk,
            "lines": [StockLine(product.pk, data["quantity"], from_bin.pk if from_bin else None)],
            "to_bin_ids": {product.pk: to_bin.pk} if to_bin else None,
            "reason": data["reason"],
        }

    def summary(self) -> str:
        data = self.cleaned_data
        return (
            f"Transferred {data['quantity']} x {data['product'].sku} "
            f"from {data['from_warehouse'].code} to {data['to_warehouse'].code}."
        )


class CountBinForm(StaffForm):
    """Which bin to count."""

    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(), empty_label="Choose a warehouse", widget=warehouse_select("id_bin")
    )
    bin = BinField(required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_list()
        _limit_bins(self, "bin", "warehouse")


class CountForm(StaffForm):
    """Counted quantities of one bin: a field per product the ledger has there (blank: not counted),
    and a few rows to add products found in the bin that the ledger does not know about."""

    ADDED_ROWS = 3

    def __init__(self, *args, contents: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.contents = contents
        for stock in contents:
            self.fields[f"count_{stock.product_id}"] = forms.IntegerField(
                min_value=0, max_value=MAX_QUANTITY, required=False, label=stock.product.sku
            )
        for row in range(self.ADDED_ROWS):
            self.fields[f"add_sku_{row}"] = SkuField(required=False)
            self.fields[f"add_count_{row}"] = forms.IntegerField(
                min_value=0, max_value=MAX_QUANTITY, required=False, label="Counted"
            )

    def listed_rows(self):
        """(bin stock, its field) for the template."""
        return [(stock, self[f"count_{stock.product_id}"]) for stock in self.contents]

    def added_rows(self):
        return [(self[f"add_sku_{row}"], self[f"add_count_{row}"]) for row in range(self.ADDED_ROWS)]

    def clean(self):
        cleaned = super().clean()
        counts: dict[int, int] = {}
        for stock in self.contents:
            counted = cleaned.get(f"count_{stock.product_id}")
            if counted is not None:
                counts[stock.product_id] = counted
        for row in range(self.ADDED_ROWS):
            product: Product | None = cleaned.get(f"add_sku_{row}")
            counted = cleaned.get(f"add_count_{row}")
            if product is None and counted is None:
                continue
            if product is None:
                if f"add_sku_{row}" not in self.errors:
                    self.add_error(f"add_sku_{row}", "Enter the SKU of the product counted.")
            elif counted is None:
                self.add_error(f"add_count_{row}", f"Enter how many of {product.sku} were counted.")
            elif product.pk in counts:
                self.add_error(f"add_sku_{row}", f"{product.sku} is already counted above.")
            else:
                counts[product.pk] = counted
        if not counts and not self.errors:
            raise forms.ValidationError("Enter at least one counted quantity.")
        cleaned["counts"] = counts
        return cleaned


class ReorderForm(StaffForm):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), empty_label="Choose a warehouse")
    reorder_point = forms.IntegerField(
        min_value=0, max_value=MAX_QUANTITY, help_text="Low stock when available falls below this."
    )
    reorder_quantity = forms.IntegerField(min_value=0, max_value=MAX_QUANTITY, help_text="How much to order then.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouse_list()

    @classmethod
    def initial_for(cls, *, product: Product, warehouse_id: str | None) -> dict:
        """Opened for one warehouse (?warehouse=<id>): its current figures are filled in."""
        if not (warehouse_id or "").isdigit():
            return {}
        level = selectors.stock_level_get(product_id=product.pk, warehouse_id=int(warehouse_id))
        if level is None:
            return {"warehouse": warehouse_id}
        return {
            "warehouse": warehouse_id,
            "reorder_point": level.reorder_point,
            "reorder_quantity": level.reorder_quantity,
        }


class BinOptionsForm(StaffForm):
    """The warehouse whose bins a bin select should offer; the select sending it names the field."""

    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False)
    from_warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False)
    to_warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("warehouse", "from_warehouse", "to_warehouse"):
            self.fields[name].queryset = selectors.warehouse_list()

    def bins(self) -> list[Bin]:
        data = self.cleaned_data if self.is_valid() else {}
        warehouse = data.get("warehouse") or data.get("from_warehouse") or data.get("to_warehouse")
        return list(selectors.bin_list(warehouse_id=warehouse.pk)) if warehouse else []
