"""ShipStation's side of the Custom Store for the tests: its credentials, its calls, the ShipNotice
it posts, and the Orders XML element names of ../shared/specs/shipstation_custom_store.md to check
the export against."""

import base64
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from django.contrib.auth.hashers import make_password

from orders.models import ShipStationAccount

URL = "/integrations/shipstation/"
USERNAME, PASSWORD = "shipstation", "s3cret: pass"

# --- the spec's element tables (Orders/Order and below): allowed and required names -------------------

ORDER_ALLOWED = {
    "OrderID", "OrderNumber", "OrderDate", "OrderStatus", "LastModified", "ShippingMethod", "PaymentMethod",
    "CurrencyCode", "OrderTotal", "TaxAmount", "ShippingAmount", "CustomerNotes", "InternalNotes", "Gift",
    "GiftMessage", "CustomField1", "CustomField2", "CustomField3", "Customer", "Items",
}  # fmt: skip
ORDER_REQUIRED = {
    "OrderID", "OrderNumber", "OrderDate", "OrderStatus", "LastModified", "OrderTotal", "ShippingAmount",
    "Customer", "Items",
}  # fmt: skip
CUSTOMER_ALLOWED = CUSTOMER_REQUIRED = {"CustomerCode", "BillTo", "ShipTo"}
BILL_TO_ALLOWED, BILL_TO_REQUIRED = {"Name", "Company", "Phone", "Email"}, {"Name"}
SHIP_TO_ALLOWED = {"Name", "Company", "Address1", "Address2", "City", "State", "PostalCode", "Country", "Phone"}
SHIP_TO_REQUIRED = {"Name", "Address1", "City", "State", "Country"}
ITEM_ALLOWED = {
    "LineItemID", "SKU", "Name", "ImageUrl", "Weight", "WeightUnits", "Quantity", "UnitPrice", "Location",
    "Adjustment", "Options",
}  # fmt: skip
ITEM_REQUIRED = {"SKU", "Name", "Quantity", "UnitPrice"}
# Lengths from the field table (characters).
MAX_LENGTH = {
    "OrderID": 50, "OrderNumber": 50, "OrderStatus": 50, "ShippingMethod": 1000, "PaymentMethod": 50,
    "CustomerNotes": 1000, "InternalNotes": 1000, "CustomField1": 100, "CustomField2": 100, "CustomField3": 100,
    "CustomerCode": 50, "Name": 200, "Company": 100, "Phone": 50, "Address1": 100, "Address2": 100, "City": 100,
    "State": 100, "PostalCode": 50, "SKU": 100, "LineItemID": 50,
}  # fmt: skip
ORDER_STATUSES = {"unpaid", "paid", "shipped", "cancelled", "on_hold"}
DATE_PATTERN = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"
DECIMAL_PATTERN = r"-?\d{1,7}\.\d{2}"


def check_children(element: ET.Element, allowed: set, required: set) -> dict[str, ET.Element]:
    """The element's children by name, after checking each is allowed, appears once, and the required
    ones are there."""
    names = [child.tag for child in element]
    assert set(names) <= allowed, f"<{element.tag}> has {set(names) - allowed} not in the spec"
    assert required <= set(names), f"<{element.tag}> lacks {required - set(names)}"
    assert len(names) == len(set(names)), f"<{element.tag}> repeats a child: {names}"
    for child in element:
        if child.tag in MAX_LENGTH and len(child) == 0:
            assert len(child.text or "") <= MAX_LENGTH[child.tag], child.tag
    return {child.tag: child for child in element}


def orders_of(response) -> tuple[ET.Element, list[ET.Element]]:
    """The Orders root and its Order elements, each checked against the spec's element tables."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.content)
    assert root.tag == "Orders" and int(root.get("pages")) >= 1
    assert {child.tag for child in root} <= {"Order"}
    for order in root:
        fields = check_children(order, ORDER_ALLOWED, ORDER_REQUIRED)
        customer = check_children(fields["Customer"], CUSTOMER_ALLOWED, CUSTOMER_REQUIRED)
        check_children(customer["BillTo"], BILL_TO_ALLOWED, BILL_TO_REQUIRED)
        ship_to = check_children(customer["ShipTo"], SHIP_TO_ALLOWED, SHIP_TO_REQUIRED)
        assert len(ship_to["Country"].text or "") == 2
        assert {item.tag for item in fields["Items"]} <= {"Item"}
        for item in fields["Items"]:
            check_children(item, ITEM_ALLOWED, ITEM_REQUIRED)
    return root, list(root)


def field(order: ET.Element, path: str) -> str:
    return order.findtext(path) or ""


def by_id(orders: list[ET.Element]) -> dict[str, ET.Element]:
    return {field(order, "OrderID"): order for order in orders}


# --- calls ----------------------------------------------------------------------------------------------


def account(username: str = USERNAME, password: str = PASSWORD, **fields) -> ShipStationAccount:
    return ShipStationAccount.objects.create(username=username, password=make_password(password), **fields)


def basic(username: str = USERNAME, password: str = PASSWORD) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def export(
    client, start="01/01/2000 00:00", end="12/31/2099 23:59", page=None, headers=None, address="127.0.0.1", **params
):
    """An export call as ShipStation makes it, from the client address `address`."""
    query = {"action": "export", "start_date": start, "end_date": end, **params}
    if page is not None:
        query["page"] = page
    return client.get(f"{URL}?{urlencode(query)}", headers=basic() if headers is None else headers, REMOTE_ADDR=address)


def shipnotify(client, body: str | bytes = "", headers=None, content_type="application/xml; charset=utf-8", **params):
    query = urlencode({"action": "shipnotify", **params})
    return client.generic(
        "POST",
        f"{URL}?{query}",
        body.encode() if isinstance(body, str) else body,
        content_type=content_type,
        headers=basic() if headers is None else headers,
    )


def order_ids(response) -> list[str]:
    """The OrderIDs of an export page, in its order."""
    return [field(order, "OrderID") for order in orders_of(response)[1]]


def notice_xml(
    order_id="",
    order_number="",
    carrier="UPS",
    service="Ground",
    tracking="1Z999AA10123456784",
    items=(),
    notify="true",
    ship_date="12/8/2026",
    label_date="12/8/2026 11:01",
) -> str:
    """A ShipNotice as ShipStation posts it; items are (LineItemID, SKU, quantity)."""
    lines = "".join(
        f"<Item><SKU>{sku}</SKU><Name>Item {sku}</Name><Quantity>{quantity}</Quantity>"
        f"<LineItemID>{line_item_id}</LineItemID></Item>"
        for line_item_id, sku, quantity in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<ShipNotice>
  <OrderNumber>{order_number}</OrderNumber>
  <OrderID>{order_id}</OrderID>
  <CustomerCode>ann@example.test</CustomerCode>
  <CustomerNotes></CustomerNotes>
  <InternalNotes></InternalNotes>
  <NotesToCustomer></NotesToCustomer>
  <NotifyCustomer>{notify}</NotifyCustomer>
  <LabelCreateDate>{label_date}</LabelCreateDate>
  <ShipDate>{ship_date}</ShipDate>
  <Carrier>{carrier}</Carrier>
  <Service>{service}</Service>
  <TrackingNumber>{tracking}</TrackingNumber>
  <ShippingCost>8.45</ShippingCost>
  <CustomField1></CustomField1>
  <CustomField2></CustomField2>
  <CustomField3></CustomField3>
  <Recipient>
    <Name>Ann Lee</Name><Company></Company><Address1>1 High Street</Address1><Address2></Address2>
    <City>Leeds</City><State>West Yorkshire</State><PostalCode>LS1 1AA</PostalCode><Country>GB</Country>
  </Recipient>
  <Items>{lines}</Items>
</ShipNotice>"""


def run_on_commit(callbacks) -> None:
    """Run the Celery tasks enqueued on commit in this process (their bodies, as a worker would)."""
    for callback in callbacks:
        task = getattr(callback.func, "__self__", None)
        if task is not None and callback.func.__name__ == "delay":
            task.apply(args=callback.args, kwargs=callback.keywords)
        else:
            callback()
