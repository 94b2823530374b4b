"""CSV imports of products and stock counts: whole files checked first, then written all or none."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from backoffice.jobs import job_create
from backoffice.models import BackgroundJob
from inventory import services
from inventory.exceptions import ImportRejected
from inventory.imports import (
    PRODUCT_COLUMNS,
    PRODUCT_EXAMPLE_ROWS,
    csvfile,
    example_csv,
    product_import_check,
    product_import_run,
    product_import_write,
    stock_count_import_check,
    stock_count_import_run,
    stock_count_import_write,
)
from inventory.models import (
    BinStock,
    Category,
    KitComponent,
    MovementKind,
    Product,
    StockLevel,
    StockMovement,
)
from inventory.services import StockLine
from tests.factories import UserFactory
from tests.inventory.factories import (
    BinFactory,
    CategoryFactory,
    KitComponentFactory,
    ProductFactory,
    TaxClassFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def standard():
    return TaxClassFactory(code="standard", name="Standard rate")


@pytest.fixture
def reduced():
    return TaxClassFactory(code="reduced", name="Reduced rate")


def csv_file(text: str) -> bytes:
    """The test's lines as a file the way spreadsheets write them: CRLF line ends."""
    return text.replace("\n", "\r\n").encode()


def import_products(text: str):
    return product_import_write(plan=product_import_check(data=csv_file(text)))


def problems(text: str, check=product_import_check) -> list[tuple]:
    with pytest.raises(ImportRejected) as caught:
        check(data=csv_file(text) if isinstance(text, str) else text)
    return [(error.row, error.column, error.message) for error in caught.value.errors]


def snapshot():
    """Everything an import could change."""
    return {
        "products": list(Product.objects.order_by("pk").values()),
        "categories": list(Category.objects.order_by("pk").values_list("pk", "name")),
        "components": list(KitComponent.objects.order_by("pk").values_list("kit", "component", "quantity")),
        "levels": list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved")),
        "bins": list(BinStock.objects.order_by("pk").values_list("pk", "on_hand")),
        "movements": StockMovement.objects.count(),
    }


def run_job(run, data: bytes, actor=None) -> BackgroundJob:
    job = job_create(
        kind="test", title="Test import", actor=actor, params={"filename": "upload.csv"},
        input_file=ContentFile(data, name="upload.csv"),
    )  # fmt: skip
    run(job_id=job.pk)
    job.refresh_from_db()
    return job


# --- products: writing ----------------------------------------------------------------------------


def test_a_good_file_creates_and_updates_exactly_its_products(standard, reduced):
    fasteners = CategoryFactory(name="Fasteners")
    bolt = ProductFactory(
        sku="BOLT-M8", name="Old bolt", tax_class=standard, cost_price=Decimal("10.0000"),
        list_price=Decimal("24.9000"), weight_kg=Decimal("0.500"), is_active=True,
    )  # fmt: skip
    untouched = ProductFactory(sku="OTHER", name="Not in the file", list_price=Decimal("5.0000"))
    before = Product.objects.values().get(pk=untouched.pk)

    outcome = import_products(
        "SKU,Name,Barcode,Category,Tax_Class,weight_kg,length_cm,width_cm,height_cm,cost_price,list_price,is_active\n"
        "bolt-m8,Hex bolt M8,4006381333931,fasteners,,0.950,12.0,8.0,4.0,3.2,7.90,\n"
        "NUT-M8,Hex nut M8,96385074,Nuts,reduced,0.6,,,,1.1,4.5,no\n"
        "WASHER-M8,Washer M8,,,STANDARD,,,,,,,\n"
    )

    assert outcome.result == {
        "rows": 3, "created": 2, "updated": 1, "unchanged": 0, "categories_created": 1, "kits": 0,
    }  # fmt: skip
    assert outcome.message == "2 products created, 1 updated, 0 unchanged, 1 category created."
    bolt.refresh_from_db()
    assert (bolt.sku, bolt.name, bolt.barcode, bolt.category, bolt.tax_class) == (
        "BOLT-M8", "Hex bolt M8", "4006381333931", fasteners, standard,
    )  # fmt: skip
    assert (bolt.weight_kg, bolt.length_cm, bolt.width_cm, bolt.height_cm) == (
        Decimal("0.950"), Decimal("12.0"), Decimal("8.0"), Decimal("4.0"),
    )  # fmt: skip
    assert (bolt.cost_price, bolt.list_price, bolt.is_active) == (Decimal("3.2000"), Decimal("7.9000"), True)
    nut = Product.objects.get(sku="NUT-M8")
    assert (nut.name, nut.barcode, nut.category.name, nut.tax_class) == (
        "Hex nut M8",
        "96385074",
        "Nuts",
        reduced,
    )
    assert (nut.weight_kg, nut.length_cm, nut.cost_price, nut.list_price, nut.is_active) == (
        Decimal("0.600"), Decimal("0.0"), Decimal("1.1000"), Decimal("4.5000"), False,
    )  # fmt: skip
    washer = Product.objects.get(sku="WASHER-M8")
    assert (washer.tax_class, washer.category, washer.barcode, washer.is_active, washer.is_kit) == (
        standard, None, "", True, False,
    )  # fmt: skip
    assert (washer.cost_price, washer.list_price, washer.weight_kg) == (Decimal(0), Decimal(0), Decimal(0))
    assert Product.objects.values().get(pk=untouched.pk) == before
    assert sorted(Category.objects.values_list("name", flat=True)) == ["Fasteners", "Nuts"]


def test_importing_the_same_file_again_changes_nothing(standard):
    text = "sku,name,list_price,tax_class\nA-1,First,1.50,standard\nA-2,Second,2,standard\n"
    import_products(text)
    before = snapshot()

    outcome = import_products(text)

    assert (outcome.result["created"], outcome.result["updated"], outcome.result["unchanged"]) == (0, 0, 2)
    assert snapshot() == before


def test_empty_cells_leave_an_existing_product_as_it_was(standard):
    product = ProductFactory(sku="KEEP", barcode="96385074", list_price=Decimal("9.9900"), is_active=False)

    import_products("sku,name,barcode,list_price,is_active,tax_class\nKEEP,Renamed,,,,\n")

    product.refresh_from_db()
    assert (product.name, product.barcode, product.list_price, product.is_active) == (
        "Renamed", "96385074", Decimal("9.9900"), False,
    )  # fmt: skip


def test_two_products_may_swap_barcodes(standard):
    first = ProductFactory(sku="FIRST", barcode="96385074")
    second = ProductFactory(sku="SECOND", barcode="4006381333931")

    import_products("sku,name,barcode\nFIRST,First,4006381333931\nSECOND,Second,96385074\n")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.barcode, second.barcode) == ("4006381333931", "96385074")


def test_a_barcode_may_move_to_another_product_when_its_owner_gets_a_new_one(standard):
    owner = ProductFactory(sku="OWNER", barcode="96385074")

    import_products("sku,name,barcode,tax_class\nNEW,New,96385074,standard\nOWNER,Owner,5901234123457,\n")

    owner.refresh_from_db()
    assert owner.barcode == "5901234123457"
    assert Product.objects.get(sku="NEW").barcode == "96385074"


def test_the_example_file_imports_cleanly(standard):
    outcome = import_products(example_csv(PRODUCT_COLUMNS, PRODUCT_EXAMPLE_ROWS).replace("\r\n", "\n"))

    assert outcome.result["created"] == 3
    kit = Product.objects.get(sku="SET-M8")
    assert kit.is_kit
    assert sorted(kit.components.values_list("component__sku", "quantity")) == [("BOLT-M8", 1), ("NUT-M8", 1)]


# --- products: refusals ---------------------------------------------------------------------------


def test_a_file_with_bad_rows_changes_nothing_and_names_each_row_column_and_reason(standard, reduced):
    ProductFactory(sku="TAKEN", barcode="96385074")
    stocked = ProductFactory(sku="STOCKED")
    warehouse = WarehouseFactory(code="leeds")
    services.stock_receive(
        warehouse_id=warehouse.pk, lines=[StockLine(stocked.pk, 5, BinFactory(warehouse=warehouse).pk)]
    )
    before = snapshot()
    long_name = "x" * 201
    data = csv_file(
        "sku,name,barcode,tax_class,cost_price,list_price,weight_kg,is_active\n"
        "OK-1,Fine product,,standard,1.00,2.00,,\n"  # 2
        'ML,"Two\nlines",,standard,,,,\n'  # 3-4: one record over two lines
        "OK-1,Duplicate,,standard,,,,\n"  # 5
        "BAD-GTIN,Bad barcode,4006381333932,standard,,,,\n"  # 6
        "CLASH,Clash,96385074,standard,,,,\n"  # 7
        "\n"  # 8: blank, skipped
        "NEG,Negative,,standard,-1.00,,,\n"  # 9
        'COMMA,Comma,,standard,,"2,50",,\n'  # 10
        "PREC,Precise,,standard,,,1.2345,\n"  # 11
        "NOTAX,No tax class,,,,,,\n"  # 12
        "BADTAX,Bad tax class,,luxury,,,,\n"  # 13
        "BOOL,Boolean,,standard,,,,maybe\n"  # 14
        ",No SKU,,standard,,,,\n"  # 15
        f"LONG,{long_name},,standard,,,,\n"  # 16
        "B1,Barcode one,5901234123457,standard,,,,\n"  # 17
        "B2,Barcode two,5901234123457,standard,,,,\n"  # 18
        "BIG,Big,,standard,99999999999,,,\n"  # 19
        "EXTRA,Extra,,standard,,,,,surplus\n"  # 20
        "NONAME,,,standard,,,,\n"  # 21
        "SHORT,Short line\n"  # 22: too few values: the rest are empty (and it needs a tax class)
    )

    job = run_job(product_import_run, data)

    assert job.status == BackgroundJob.Status.FAILED
    assert job.message == "Nothing was imported: 16 problems found."
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (5, "sku", "SKU OK-1 is also on line 2."),
        (6, "barcode", "4006381333932: the check digit should be 1, not 2; is a digit mistyped?"),
        (7, "barcode", "Barcode 96385074 belongs to product TAKEN."),
        (9, "cost_price", "-1.00 is negative; it must be zero or more."),
        (10, "list_price", "2,50: write decimals with a dot (2.50), not a comma."),
        (11, "weight_kg", "1.2345 has more than 3 decimal places."),
        (12, "tax_class", "A new product needs a tax class."),
        (13, "tax_class", "Unknown tax class 'luxury'; the tax classes are: reduced, standard."),
        (14, "is_active", "'maybe' is not one of true/false, yes/no, 1/0."),
        (15, "sku", "The SKU is empty."),
        (16, "name", "201 characters is too long; at most 200."),
        (18, "barcode", "Barcode 5901234123457 is also on line 17."),
        (19, "cost_price", "99999999999 is too large; the most this column holds is 9999999999.9999."),
        (
            20,
            "",
            "This line has 9 values but the header names only 8 columns; is a delimiter (',') inside a "
            'value that is not quoted with "…"?',
        ),
        (21, "name", "The name is empty."),
        (22, "tax_class", "A new product needs a tax class."),
    ]
    assert snapshot() == before
    assert job.input_file.read() == data


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "sku,name,colour",
            [
                (
                    1,
                    "colour",
                    "Unknown column; the columns are " + ", ".join(c.name for c in PRODUCT_COLUMNS) + ".",
                )
            ],
        ),
        ("sku,barcode", [(1, "name", "This required column is missing from the header.")]),
        ("sku,name,SKU", [(1, "sku", "The column appears twice (columns 1 and 3).")]),
        (
            "sku,name,,list_price",
            [
                (
                    1,
                    "column 3",
                    "This column has no name; use " + ", ".join(c.name for c in PRODUCT_COLUMNS) + ".",
                )
            ],
        ),
    ],
)
def test_a_wrong_header_is_refused(standard, header, expected):
    assert problems(f"{header}\nA-1,First,x,y\n") == expected


def test_every_problem_is_counted_and_the_first_thousand_are_listed(standard):
    rows = "".join(f"SKU-{n},Product {n},standard,-1\n" for n in range(1205))

    with pytest.raises(ImportRejected) as caught:
        product_import_check(data=csv_file("sku,name,tax_class,cost_price\n" + rows))

    errors = caught.value.errors
    assert caught.value.error_count == 1205
    assert len(errors) == 1001
    assert [error.row for error in errors[:1000]] == list(range(2, 1002))
    assert (errors[-1].row, errors[-1].column, errors[-1].message) == (
        None, "", "1,205 problems in all; only the first 1,000 are listed. Correct them and upload the file "
        "again to see the rest.",
    )  # fmt: skip
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "meanwhile",
    [
        pytest.param({"sku": "new-1"}, id="the-same-sku"),
        pytest.param({"sku": "OTHER", "barcode": "96385074"}, id="the-same-barcode"),
    ],
)
def test_a_product_added_between_check_and_write_makes_the_whole_file_fail(standard, meanwhile):
    plan = product_import_check(
        data=csv_file("sku,name,barcode,tax_class\nOLD,Renamed,,standard\nNEW-1,New,96385074,standard\n")
    )
    ProductFactory(sku="OLD", name="Old name")
    ProductFactory(**meanwhile)
    before = snapshot()

    with pytest.raises(ImportRejected) as caught:
        product_import_write(plan=plan)

    assert [error.message for error in caught.value.errors] == [
        "The catalogue changed while the file was being checked (a product or barcode was added or removed "
        "meanwhile); nothing was imported. Upload the file again to check it against the current catalogue."
    ]
    assert snapshot() == before


# --- products: kits -------------------------------------------------------------------------------


def test_a_kit_is_made_of_components_in_the_catalogue_and_on_earlier_lines(standard):
    bolt = ProductFactory(sku="BOLT")

    import_products(
        "sku,name,tax_class,kit_components\nNUT,Nut,standard,\nSET,Bolt and nut set,standard, bolt:2 ; NUT:1 ;\n"
    )

    kit = Product.objects.get(sku="SET")
    assert kit.is_kit
    assert sorted(kit.components.values_list("component", "quantity")) == sorted(
        [(bolt.pk, 2), (Product.objects.get(sku="NUT").pk, 1)]
    )


def test_an_existing_kit_gets_its_new_components_in_place_of_the_old(standard):
    old = KitComponentFactory(kit__sku="SET", kit__name="Set", component__sku="OLD", quantity=3)
    new = ProductFactory(sku="NEW")

    outcome = import_products("sku,name,kit_components\nSET,Set,NEW:4\n")

    assert list(KitComponent.objects.filter(kit=old.kit).values_list("component", "quantity")) == [(new.pk, 4)]
    assert Product.objects.filter(pk=old.component.pk).exists()
    assert (outcome.result["updated"], outcome.result["kits"]) == (1, 1)
    again = import_products("sku,name,kit_components\nSET,Set,new:4\n")
    assert (again.result["unchanged"], again.result["kits"]) == (1, 0)


def test_kit_component_mistakes_are_reported(standard):
    KitComponentFactory(kit__sku="DB-KIT", component__sku="PART")
    stocked = ProductFactory(sku="STOCKED")
    warehouse = WarehouseFactory(code="leeds")
    services.stock_receive(warehouse_id=warehouse.pk, lines=[StockLine(stocked.pk, 1)])
    ProductFactory(sku="LOOSE")
    before = snapshot()

    found = problems(
        "sku,name,tax_class,kit_components\n"
        "K1,Later part,standard,LATER:1\n"  # 2
        "LATER,Later,standard,\n"  # 3
        "K2,Kit of a kit,standard,DB-KIT:1\n"  # 4
        "K3,Itself,standard,K3:1\n"  # 5
        "K4,Bad syntax,standard,LOOSE-2\n"  # 6
        "K5,Zero,standard,LOOSE:0\n"  # 7
        "K6,Twice,standard,LOOSE:1;loose:2\n"  # 8
        "K7,Kit of a file kit,standard,K1:1\n"  # 9
        "STOCKED,Stocked,,LOOSE:1\n"  # 10
        "PART,Part,,LOOSE:1\n"  # 11
    )

    assert found == [
        (2, "kit_components", "LATER is neither in the catalogue nor on an earlier line of the file."),
        (4, "kit_components", "DB-KIT is a kit; a kit cannot be a component of another."),
        (5, "kit_components", "K3: a kit cannot contain itself."),
        (6, "kit_components", "'LOOSE-2' is not SKU:quantity; write e.g. BOLT-M8:2;NUT-M8:2."),
        (7, "kit_components", "LOOSE: the quantity must be 1 or more."),
        (8, "kit_components", "loose is named twice."),
        (9, "kit_components", "K1 is a kit; a kit cannot be a component of another."),
        (
            10,
            "kit_components",
            "STOCKED holds stock (on hand, reserved, quarantined or on order); a kit has no stock of its "
            "own, so a product with stock cannot become one.",
        ),
        (
            11,
            "kit_components",
            "PART is a component of DB-KIT; a kit cannot be a component, so it cannot become a kit.",
        ),
    ]
    assert snapshot() == before


# --- reading files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            b"\xef\xbb\xbfsku;name;tax_class;list_price\r\nA-1;Caf\xc3\xa9 cr\xc3\xa8me;standard;1.50\r\n",
            id="bom-semicolon-crlf",
        ),
        pytest.param(b"sku,name,tax_class,list_price\nA-1,Caf\xc3\xa9 cr\xc3\xa8me,standard,1.50\n", id="lf"),
        pytest.param(
            b'"sku";"name";"tax_class";"list_price"\r"A-1";"Caf\xc3\xa9 cr\xc3\xa8me";"standard";"1.50"',
            id="cr-quoted",
        ),
        pytest.param(
            b"\n\nSKU , Name,TAX_CLASS,List_Price\n\nA-1 ,  Caf\xc3\xa9 cr\xc3\xa8me ,standard,1.50\n\n",
            id="blank-lines-and-spaces",
        ),
    ],
)
def test_utf8_files_with_or_without_bom_comma_or_semicolon_any_line_end_are_read(standard, data):
    product_import_write(plan=product_import_check(data=data))

    product = Product.objects.get()
    assert (product.sku, product.name, product.list_price) == ("A-1", "Café crème", Decimal("1.5000"))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (None, "", "The file is empty.")),
        (b" \r\n\r\n", (None, "", "The file is empty.")),
        (b"sku,name\r\n", (None, "", "The file has a header but no data rows.")),
        (b"sku,name\r\n,\r\n", (None, "", "The file has a header but no data rows.")),
        (
            "sku,name\nA-1,Caf\u00e9\n".encode("cp1252"),
            (
                2,
                "",
                "The file is not UTF-8 text: line 2 holds the byte 0xE9, which UTF-8 does not allow (the "
                "file was probably saved as Windows-1252 or Latin-1). Save it as CSV UTF-8 and upload it "
                "again.",
            ),
        ),
        (
            "sku,name\nA-1,Café\n".encode("utf-16"),
            (None, "", "The file is UTF-16 text; save it as CSV UTF-8 and upload it again."),
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            (
                None,
                "",
                "This is a spreadsheet workbook (or another zip file), not CSV; in the spreadsheet, save it "
                "as CSV UTF-8 and upload that.",
            ),
        ),
        (b"sku,name\x00\r\n", (None, "", "The file contains NUL characters; it is not a CSV text file.")),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_reason(standard, data, expected):
    assert problems(data) == [expected]


def test_a_file_over_the_size_limit_is_refused(standard, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_FILE_BYTES", 1024 * 1024)
    data = b"sku,name\r\n" + b"A-1,x\r\n" * 200_000

    assert problems(data) == [(None, "", "The file is larger than 1 MB; split it into smaller files.")]


def test_a_file_over_the_row_limit_is_refused(standard, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_ROWS", 3)

    assert problems("sku,name\nA,a\nB,b\nC,c\nD,d\n") == [
        (None, "", "The file has more than 3 data rows; split it into smaller files.")
    ]


def test_checking_reports_progress_every_few_hundred_rows(standard):
    reported = []
    rows = "".join(f"SKU-{n},Product {n},standard\n" for n in range(600))

    product_import_check(data=csv_file("sku,name,tax_class\n" + rows), progress=lambda *done: reported.append(done))

    assert reported == [(250, 600), (500, 600), (600, 600)]


def test_a_refused_file_is_kept_with_its_failed_job(standard):
    data = "sku,name\nA-1,Caf\u00e9\n".encode("cp1252")

    job = run_job(product_import_run, data)

    assert job.status == BackgroundJob.Status.FAILED
    assert job.errors[0]["row"] == 2
    assert job.input_file.read() == data
    assert not Product.objects.exists()


# --- stock counts ---------------------------------------------------------------------------------


@pytest.fixture
def store(standard):
    """Leeds with two bins and a quarantine bin, York with one bin; BOLT in two Leeds bins, NUT in one."""
    leeds = WarehouseFactory(code="leeds")
    york = WarehouseFactory(code="york")
    shelf_1 = BinFactory(warehouse=leeds, code="A-01-1")
    shelf_2 = BinFactory(warehouse=leeds, code="A-01-2")
    BinFactory(warehouse=leeds, code="Q-1", is_quarantine=True)
    BinFactory(warehouse=york, code="B-01-1")
    bolt = ProductFactory(sku="BOLT", cost_price=Decimal("2.0000"))
    nut = ProductFactory(sku="NUT")
    ProductFactory(sku="WASHER")
    KitComponentFactory(kit__sku="SET-1", component=bolt)
    services.stock_receive(
        warehouse_id=leeds.pk,
        lines=[
            StockLine(bolt.pk, 10, shelf_1.pk),
            StockLine(bolt.pk, 5, shelf_2.pk),
            StockLine(nut.pk, 3, shelf_1.pk),
        ],
    )
    return {"leeds": leeds, "york": york, "A-01-1": shelf_1, "A-01-2": shelf_2, "bolt": bolt, "nut": nut}


def on_hand(sku, bin_code=None):
    if bin_code:
        return BinStock.objects.get(product__sku=sku, bin__code=bin_code).on_hand
    return StockLevel.objects.get(product__sku=sku, warehouse__code="leeds").on_hand


def test_a_count_file_posts_the_variances_and_leaves_the_counted_figures(store):
    counter = UserFactory()
    movements = StockMovement.objects.count()

    job = run_job(
        stock_count_import_run,
        csv_file(
            "warehouse,bin,sku,counted\n"
            "leeds,A-01-2,bolt,7\n"  # 5 on record: +2
            "leeds,A-01-1,BOLT,8\n"  # 10 on record: -2
            "leeds,A-01-1,NUT,3\n"  # as on record
            "LEEDS,a-01-1,WASHER,4\n"  # none on record: +4
        ),
        actor=counter,
    )

    assert job.status == BackgroundJob.Status.SUCCEEDED, job.errors
    assert job.message == "4 counts in 2 bins posted; 3 differed from the stock on record (6 units found, 2 missing)."
    assert job.result["variances"] == [
        {
            "row": 2,
            "warehouse": "leeds",
            "bin": "A-01-2",
            "sku": "BOLT",
            "expected": 5,
            "counted": 7,
            "variance": 2,
        },
        {
            "row": 3,
            "warehouse": "leeds",
            "bin": "A-01-1",
            "sku": "BOLT",
            "expected": 10,
            "counted": 8,
            "variance": -2,
        },
        {
            "row": 5,
            "warehouse": "leeds",
            "bin": "A-01-1",
            "sku": "WASHER",
            "expected": 0,
            "counted": 4,
            "variance": 4,
        },
    ]
    assert (on_hand("BOLT"), on_hand("BOLT", "A-01-1"), on_hand("BOLT", "A-01-2")) == (15, 8, 7)
    assert (on_hand("NUT"), on_hand("NUT", "A-01-1")) == (3, 3)
    assert (on_hand("WASHER"), on_hand("WASHER", "A-01-1")) == (4, 4)
    posted = StockMovement.objects.filter(pk__gt=0).order_by("pk")[movements:]
    assert [(m.kind, m.product.sku, m.bin.code, m.quantity, m.actor, m.reason) for m in posted] == [
        (MovementKind.COUNT_CORRECTION, "BOLT", "A-01-1", -2, counter, f"Count import #{job.pk}: upload.csv"),
        (
            MovementKind.COUNT_CORRECTION,
            "WASHER",
            "A-01-1",
            4,
            counter,
            f"Count import #{job.pk}: upload.csv",
        ),
        (MovementKind.COUNT_CORRECTION, "BOLT", "A-01-2", 2, counter, f"Count import #{job.pk}: upload.csv"),
    ]


def test_a_count_file_with_bad_rows_posts_nothing_and_names_each_problem(store):
    before = snapshot()

    found = problems(
        "warehouse,bin,sku,counted\n"
        "nowhere,A-01-1,BOLT,1\n"  # 2
        "leeds,B-01-1,BOLT,1\n"  # 3
        "leeds,Q-1,BOLT,1\n"  # 4
        "leeds,A-01-1,SET-1,1\n"  # 5
        "leeds,A-01-1,NOPE,1\n"  # 6
        "leeds,A-01-1,BOLT,-1\n"  # 7
        "leeds,A-01-1,BOLT,1.5\n"  # 8
        "leeds,A-01-1,NUT,abc\n"  # 9
        "leeds,A-01-1,BOLT,4\n"  # 10
        "leeds,a-01-1,bolt,5\n"  # 11
        "leeds,,BOLT,\n"  # 12
        "leeds,A-01-2,NUT,2.0\n",  # 13: fine, 2.0 is a whole number
        check=stock_count_import_check,
    )

    assert found == [
        (2, "warehouse", "Unknown warehouse 'nowhere'."),
        (3, "bin", "Warehouse leeds has no bin 'B-01-1' (there is one in york)."),
        (4, "bin", "Q-1 is a quarantine bin; its stock is released or scrapped, not counted."),
        (5, "sku", "SET-1 is a kit; kits have no stock of their own, count their components."),
        (6, "sku", "Unknown SKU 'NOPE'."),
        (7, "counted", "-1 is negative; it must be zero or more."),
        (8, "counted", "1.5 is not a whole number."),
        (9, "counted", "'abc' is not a number."),
        (11, "sku", "BOLT in bin A-01-1 is also counted on line 10."),
        (12, "bin", "The bin is empty."),
        (12, "counted", "The count is empty."),
    ]
    assert snapshot() == before


def test_counts_cannot_leave_less_on_hand_than_is_reserved(store):
    services.stock_reserve(warehouse_id=store["leeds"].pk, lines=[StockLine(store["bolt"].pk, 12)])
    before = snapshot()

    found = problems(
        "warehouse,bin,sku,counted\nleeds,A-01-1,BOLT,8\nleeds,A-01-2,BOLT,3\n",
        check=stock_count_import_check,
    )

    assert found == [
        (
            2,
            "counted",
            "These counts would leave 11 of BOLT on hand in leeds, fewer than the 12 reserved for orders; "
            "release or reallocate the reservations first.",
        )
    ]
    assert snapshot() == before


def test_a_reservation_made_between_check_and_write_makes_the_whole_file_fail(store):
    plan = stock_count_import_check(
        data=csv_file("warehouse,bin,sku,counted\nleeds,A-01-2,NUT,1\nleeds,A-01-1,BOLT,0\n")
    )
    services.stock_reserve(warehouse_id=store["leeds"].pk, lines=[StockLine(store["bolt"].pk, 10)])
    before = snapshot()

    with pytest.raises(ImportRejected) as caught:
        stock_count_import_write(plan=plan)

    [error] = caught.value.errors
    assert (error.row, error.column) == (3, "counted")
    assert error.message.startswith("Stock changed since the file was checked: BOLT in leeds")
    assert snapshot() == before
