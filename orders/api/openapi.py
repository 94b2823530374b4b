"""The OpenAPI 3.1 document of API v1, served at /api/v1/schema.

It is also the validator of request bodies (backoffice.api.schema checks OrderCreate and the tracking
events' neutral form), so what it says a client may send is exactly what is accepted. Shipping methods
and channels are filled in from settings and from pricing's channel list when the document is built.
"""

from django.conf import settings

from orders.models import Parcel, TrackingEvent
from orders.services.tracking import (
    AMBIGUOUS_TRACKING_NUMBER,
    CREATED,
    DUPLICATE,
    EVENT_ID_CONFLICT,
    REFUSED,
    UNKNOWN_TRACKING_NUMBER,
)
from orders.states import HoldReason, OrderStatus, PaymentMethod, PaymentStatus, ShipmentStatus
from pricing.models import Channel

MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["19.90"]}
UNIT_PRICE = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2,4}$", "examples": ["4.95", "0.0125"]}
RATE = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{4}$", "examples": ["0.2000"]}
# Required text must hold something other than spaces.
_NOT_BLANK = {"pattern": r"\S", "x-pattern-message": "must not be blank"}
MAX_LINES = 200
MAX_COUPONS = 10
MAX_QUANTITY = 100_000
# The shipping method of an order collected by the customer at a warehouse that allows it.
PICKUP = "pickup"
MAX_TRACKING_EVENTS = 100


def _text(max_length: int, *, required: bool = False, **more) -> dict:
    return {"type": "string", "maxLength": max_length, **({"minLength": 1, **_NOT_BLANK} if required else {}), **more}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict, *, required=None, closed: bool = True) -> dict:
    schema = {"type": "object", "properties": properties, "required": list(required or properties)}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _error(**extra) -> dict:
    return _object(
        {"error": {"type": "string"}, "message": {"type": "string"}, **extra},
        required=["error", "message"],
        closed=False,
    )


def _input_schemas() -> dict:
    return {
        "OrderCreate": _object(
            {
                "channel": {"type": "string", "enum": list(Channel.values)},
                "external_id": _text(100, required=True, description="The channel's own order id; unique per channel."),
                "customer": _ref("CustomerInput"),
                "shipping_address": {
                    **_ref("Address"),
                    "description": f"Required, except for a pick-up (shipping_method {PICKUP}), which has none.",
                },
                "billing_address": _ref("Address"),
                "lines": {"type": "array", "minItems": 1, "maxItems": MAX_LINES, "items": _ref("LineInput")},
                "coupon_codes": {"type": "array", "maxItems": MAX_COUPONS, "items": _text(40, required=True)},
                "shipping_method": {
                    "type": "string",
                    "enum": sorted({*settings.SHIPPING_METHODS, PICKUP}),
                    "description": (
                        "Delivery, priced from the shop's table (setting SHIPPING_METHODS), or "
                        f"{PICKUP}: the customer collects the order, free, at `pickup_warehouse`."
                    ),
                },
                "pickup_warehouse": _text(
                    16,
                    required=True,
                    examples=["BRS"],
                    description=(
                        f"With shipping_method {PICKUP} (and only then): the code of the warehouse where the "
                        "customer collects the order. It must be active and allow pick-up, or the answer is "
                        "400 naming `pickup_warehouse`; every line is reserved there."
                    ),
                ),
                "payment": _ref("PaymentInput"),
            },
            required=["channel", "customer", "lines", "shipping_method", "payment"],
        ),
        "CustomerInput": _object(
            {
                "name": _text(200, required=True),
                "email": _text(254, description="An order on account needs the e-mail of a known customer."),
                "phone": _text(
                    32,
                    description="Read as a number of the shipping country (for a pick-up: of the billing "
                    "address's, or the shop's) unless it starts with +.",
                ),
            },
            required=["name"],
        ),
        "Address": _object(
            {
                "name": _text(200, required=True),
                "line1": _text(200, required=True),
                "line2": _text(200),
                "city": _text(100, required=True),
                "region": _text(100),
                "postal_code": _text(20, required=True),
                "country": _text(2, required=True, description="ISO 3166-1 alpha-2, e.g. GB."),
            },
            required=["name", "line1", "city", "postal_code", "country"],
        ),
        "LineInput": _object(
            {"sku": _text(64, required=True), "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}}
        ),
        **_tracking_input_schemas(),
        "PaymentInput": _object(
            {
                "method": {"type": "string", "enum": list(PaymentMethod.values)},
                "reference": _text(
                    120,
                    required=True,
                    description="Prepaid only: the payment's reference once the money has been taken; "
                    "without one, the order waits on hold for payment.",
                ),
            },
            required=["method"],
        ),
    }


def _tracking_event_properties() -> dict:
    statuses = ", ".join(TrackingEvent.Status.values)
    return {
        "event_id": _text(
            100,
            required=True,
            description="The carrier's id of this event, unique to it: a repeat of the id is the same event.",
        ),
        "tracking_number": _text(60, required=True, examples=["SW000000123"]),
        "status": _text(
            40,
            required=True,
            examples=["in_transit"],
            description=f"One of {statuses} (carriers' usual words for them are read too, e.g. "
            "`in transit`, `accepted`, `failed_attempt`, in any case).",
        ),
        "time": _text(
            40,
            required=True,
            format="date-time",
            examples=["2026-05-04T09:30:00+01:00"],
            description="When it happened, ISO 8601 with its offset, from 2000 to a day from now.",
        ),
        "location": _nullable(_text(200)),
        "description": _nullable(_text(300)),
    }


_CARRIER = _text(
    30,
    required=True,
    pattern=r"^[-a-zA-Z0-9_]+$",
    **{"x-pattern-message": "must be a carrier code"},
    description="The code of the carrier whose adapter reads the body; without it, the neutral form "
    "documented here. A carrier whose adapter reads its own format takes that format instead.",
)


def _tracking_input_schemas() -> dict:
    event = _tracking_event_properties()
    return {
        "TrackingEventInput": _object(event, required=["event_id", "tracking_number", "status", "time"]),
        "TrackingEventCreate": _object(
            {**event, "carrier": _CARRIER}, required=["event_id", "tracking_number", "status", "time"]
        ),
        "TrackingEventBatch": _object(
            {
                "carrier": _CARRIER,
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_TRACKING_EVENTS,
                    "items": _ref("TrackingEventInput"),
                },
            },
            required=["events"],
        ),
    }


def _tracking_output_schemas() -> dict:
    def nullable_object(properties: dict) -> dict:
        return {**_object(properties), "type": ["object", "null"]}

    return {
        "TrackingEventsResult": _object({"events": {"type": "array", "items": _ref("TrackingOutcome")}}),
        "TrackingOutcome": _object(
            {
                "event_id": {"type": "string"},
                "tracking_number": {"type": "string"},
                "result": {
                    "type": "string",
                    "enum": [CREATED, DUPLICATE, REFUSED],
                    "description": "created: stored now; duplicate: received before, nothing changed; "
                    "refused: not stored, see `error` and `message`.",
                },
                "error": {
                    "type": ["string", "null"],
                    "enum": [UNKNOWN_TRACKING_NUMBER, AMBIGUOUS_TRACKING_NUMBER, EVENT_ID_CONFLICT, None],
                },
                "message": {"type": ["string", "null"]},
                "parcel": nullable_object(
                    {"position": {"type": "integer"}, "status": {"type": "string", "enum": list(Parcel.Status.values)}}
                ),
                "shipment": nullable_object(
                    {"position": {"type": "integer"}, "status": {"type": "string", "enum": list(ShipmentStatus.values)}}
                ),
                "order": nullable_object(
                    {
                        "number": {"type": "string"},
                        "status": {"type": "string", "enum": list(OrderStatus.values)},
                        "payment_status": {"type": "string", "enum": list(PaymentStatus.values)},
                    }
                ),
            }
        ),
        "TrackingRefusal": _error(
            event_id={"type": "string"},
            tracking_number={"type": "string"},
        ),
    }


def _output_schemas() -> dict:
    address = _object(
        {name: {"type": "string"} for name in ("name", "line1", "line2", "city", "region", "postal_code", "country")}
    )
    return {
        "Order": _object(
            {
                "number": {"type": "string", "examples": ["SO-2026-000042"]},
                "channel": {"type": "string", "enum": list(Channel.values)},
                "external_id": {"type": "string"},
                "status": {"type": "string", "enum": list(OrderStatus.values)},
                "hold_reason": _nullable({"type": "string", "enum": [*HoldReason.values, None]}),
                "payment": _object(
                    {
                        "method": {"type": "string", "enum": list(PaymentMethod.values)},
                        "status": {"type": "string", "enum": list(PaymentStatus.values)},
                    }
                ),
                "customer": _object(
                    {"name": {"type": "string"}, "email": {"type": "string"}, "phone": {"type": "string"}}
                ),
                "billing_address": {"type": ["object", "null"], **{k: v for k, v in address.items() if k != "type"}},
                "currency": {"type": "string", "examples": ["GBP"]},
                "prices_include_tax": {"type": "boolean"},
                "lines": {"type": "array", "items": _ref("OrderLine")},
                "discounts": {"type": "array", "items": _ref("Discount")},
                "explanations": {"type": "array", "items": {"type": "string"}},
                "coupon_codes": {"type": "array", "items": {"type": "string"}},
                "subtotal": MONEY,
                "discount": MONEY,
                "shipping": MONEY,
                "tax": MONEY,
                "total": {
                    **MONEY,
                    "description": "The sum of the line totals and shipping, plus tax when prices exclude it.",
                },
                "shipments": {"type": "array", "items": _ref("Shipment")},
                "placed_at": {"type": ["string", "null"], "format": "date-time"},
            }
        ),
        "OrderLine": _object(
            {
                "sku": {"type": "string"},
                "name": {"type": "string"},
                "quantity": {"type": "integer"},
                "backordered_quantity": {"type": "integer"},
                "unit_price": UNIT_PRICE,
                "discount": MONEY,
                "total": {**MONEY, "description": "After the line's discounts and its share of order discounts."},
                "tax_rate": RATE,
                "tax": MONEY,
            }
        ),
        "Discount": _object(
            {
                "applies_to": {"type": "string", "enum": ["line", "order", "shipping"]},
                "sku": {"type": ["string", "null"]},
                "promotion": {"type": "string"},
                "coupon_code": {"type": ["string", "null"]},
                "amount": MONEY,
                "explanation": {"type": "string"},
            }
        ),
        "Shipment": _object(
            {
                "warehouse": {"type": "string"},
                "is_pickup": {"type": "boolean"},
                "method": {"type": "string"},
                "address": {"type": ["object", "null"], **{k: v for k, v in address.items() if k != "type"}},
                "status": {"type": "string", "enum": list(ShipmentStatus.values)},
                "shipping": MONEY,
                "lines": {
                    "type": "array",
                    "items": _object({"sku": {"type": "string"}, "quantity": {"type": "integer"}}),
                },
                "tracking_numbers": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Filled once the shipment has been handed to a carrier.",
                },
            }
        ),
        "StockPage": _object(
            {
                "results": {"type": "array", "items": _ref("StockItem")},
                "next": {"type": ["string", "null"], "description": "The URL of the next page; null on the last."},
                "unknown_skus": {"type": "array", "items": {"type": "string"}},
            }
        ),
        "StockItem": _object(
            {
                "sku": {"type": "string"},
                "is_active": {"type": "boolean"},
                "available": {"type": "integer", "description": "Over all active warehouses."},
                "updated_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "The SKU's latest change: its product, or its (components') stock.",
                },
                "warehouses": {"type": "array", "items": _ref("WarehouseStock")},
            }
        ),
        "WarehouseStock": _object(
            {
                "code": {"type": "string"},
                "on_hand": {"type": "integer"},
                "reserved": {"type": "integer"},
                "available": {"type": "integer"},
            }
        ),
        **_tracking_output_schemas(),
        "Error": _error(),
        "ValidationError": _error(
            errors={
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": 'Field path -> message, e.g. {"lines[2].quantity": "must be 1 or more"}.',
            }
        ),
        "Conflict": _error(
            number={"type": "string", "description": "duplicate_order: the order placed before."},
            shortages={
                "type": "array",
                "description": "insufficient_stock: each short SKU.",
                "items": _object(
                    {
                        "sku": {"type": "string"},
                        "warehouse": {"type": "string"},
                        "requested": {"type": "integer"},
                        "available": {"type": "integer"},
                    }
                ),
            },
        ),
    }


def _response(description: str, schema: str, **headers) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}
    if headers:
        response["headers"] = {
            name: {"schema": {"type": "string"}, "description": text} for name, text in headers.items()
        }
    return response


_UNAUTHORIZED = _response("No valid token (see the WWW-Authenticate header).", "Error")
_FORBIDDEN = _response("insufficient_scope: the token may not call this endpoint (see its scopes).", "Error")


def _scope(name: str) -> list[dict]:
    """The operation's security requirement: a bearer token holding this scope."""
    return [{"bearerAuth": [name]}]


def _tracking_events_operation() -> dict:
    return {
        "operationId": "tracking_events_create",
        "security": _scope("tracking"),
        "summary": "Carriers' tracking events",
        "description": (
            "One event as the body, or up to "
            f'{MAX_TRACKING_EVENTS} as {{"events": [...]}}. Each moves its parcel (found by tracking '
            "number; else a shipment shipped without parcels, by its own tracking number) to the status of "
            "its newest event by `time`: an older event arriving late is stored and changes nothing, and "
            "delivered is final but for returned_to_sender. A parcel still packed that the carrier reports "
            "moving ships (stock leaves, the customer is e-mailed). Once every parcel of a shipment is "
            "delivered, the shipment and then the order are delivered (completed when paid); cash on "
            "delivery is recorded as collected by the carrier, awaiting remittance. Delivery problems and "
            "returns to sender show on the order's timeline.\n\n"
            "The event id is the idempotency key (no Idempotency-Key header is used): a repeated event "
            "changes nothing and is answered with `result` duplicate and where its parcel stands now; the "
            "same id with other content is refused (event_id_conflict).\n\n"
            "A malformed body gets 400 naming each bad field, and nothing of it is stored. A single event "
            "that cannot be applied gets 422 (unknown_tracking_number, ambiguous_tracking_number) or 409 "
            "(event_id_conflict). In a batch each event is taken on its own: the good ones are stored, the "
            "others come back with `result` refused and their `error`, and the answer is 201 if any event "
            "was stored, else 200 (every event a repeat or refused)."
        ),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"oneOf": [_ref("TrackingEventCreate"), _ref("TrackingEventBatch")]}}
            },
        },
        "responses": {
            "201": _response(
                "At least one event was stored: each event's outcome, in the order sent.", "TrackingEventsResult"
            ),
            "200": _response(
                "Nothing new: every event was a repeat (or, in a batch, refused).", "TrackingEventsResult"
            ),
            "400": _response("Invalid: `errors` maps field paths to messages; nothing was stored.", "ValidationError"),
            "401": _UNAUTHORIZED,
            "403": _FORBIDDEN,
            "409": _response("event_id_conflict: the event id came before with other content.", "TrackingRefusal"),
            "411": _response("The body came chunked, without a Content-Length.", "Error"),
            "413": _response("The body is too large.", "Error"),
            "415": _response("The body is not application/json.", "Error"),
            "422": _response(
                "unknown_tracking_number or ambiguous_tracking_number (a single event): nothing was stored.",
                "TrackingRefusal",
            ),
        },
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Backoffice API",
            "version": "1",
            "description": (
                "Orders in, order status and stock out, for storefronts and other programs; carriers' "
                "tracking events in. "
                "Authenticate with `Authorization: Bearer <token>` (tokens come from "
                "`python manage.py create_api_token NAME [--scope orders --scope stock --scope tracking]`). "
                "Each operation names the scope its token needs (orders, stock or tracking; a new token has "
                "orders and stock); without it the answer is 403 insufficient_scope. "
                "Money is a decimal string. "
                "Errors are JSON: `error` (a code), `message`, and details per error."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/orders": {
                "post": {
                    "operationId": "order_create",
                    "security": _scope("orders"),
                    "summary": "Place an order",
                    "description": (
                        "Priced, allocated to warehouses and reserved in one transaction, as in the staff UI. "
                        "With an Idempotency-Key, a repeat of the same request gets the first answer again "
                        "(same status and body, header Idempotent-Replayed: true) and changes nothing; the same "
                        "key with another request gets 422. A repeat sent while the first is still running waits "
                        "for its answer, up to a few seconds, and then gets 409 idempotency_in_progress with "
                        "Retry-After. An answer is stored in the same transaction as the order, and kept for "
                        "IDEMPOTENCY_KEY_RETENTION_DAYS (7 by default). A request refused by validation before "
                        "any attempt (malformed JSON, wrong fields or types) does not use up its key.\n\n"
                        f"For a pick-up instead of a delivery, send shipping_method {PICKUP} and the code of the "
                        "warehouse in pickup_warehouse, and no shipping_address."
                    ),
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("OrderCreate")}},
                    },
                    "responses": {
                        "201": _response(
                            "Placed.",
                            "Order",
                            Location="The order's URL.",
                            **{"Idempotent-Replayed": "true on a replay of the first answer."},
                        ),
                        "400": _response("Invalid: `errors` maps field paths to messages.", "ValidationError"),
                        "401": _UNAUTHORIZED,
                        "403": _FORBIDDEN,
                        "409": _response(
                            "duplicate_order (`number`), insufficient_stock (`shortages`) or idempotency_in_progress.",
                            "Conflict",
                        ),
                        "411": _response("The body came chunked, without a Content-Length.", "Error"),
                        "413": _response("The body is too large.", "Error"),
                        "415": _response("The body is not application/json.", "Error"),
                        "422": _response("idempotency_key_reused: the key came with another request before.", "Error"),
                    },
                }
            },
            "/orders/{number}": {
                "get": {
                    "operationId": "order_get",
                    "security": _scope("orders"),
                    "summary": "An order with its status, payment, lines, shipments and tracking",
                    "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": _response("The order.", "Order"),
                        "401": _UNAUTHORIZED,
                        "403": _FORBIDDEN,
                        "404": _response("No such order.", "Error"),
                    },
                }
            },
            "/stock": {
                "get": {
                    "operationId": "stock_list",
                    "security": _scope("stock"),
                    "summary": "Availability per warehouse",
                    "description": (
                        "With `sku` (repeatable, up to 100): those SKUs, active or not; unknown ones are listed in "
                        "`unknown_skus`. Without: every active SKU by SKU, a page at a time (`next` is the next "
                        "page's URL, null on the last).\n\n"
                        "With `updated_since`, for incremental sync: only SKUs whose product or stock (for a kit: "
                        "a component's stock) changed after that time, including SKUs deactivated since "
                        "(`is_active: false`), in the order of their latest change (`updated_at`, then an internal "
                        "id). Paging is by a cursor over those change times, so it is stable while stock moves: a "
                        "SKU that changes again while you page through comes again later in the same pass, and "
                        "none is skipped. A page may hold fewer than `limit` SKUs, even none, and still have a "
                        "`next`: follow `next` until it is null. Then start the next sync from the greatest "
                        "`updated_at` you received (or keep your previous `updated_since` when you received "
                        "nothing). Change times are those of the changing transaction's start, so to be safe "
                        "against a change committed late, go back a minute further; SKUs listed twice are harmless."
                    ),
                    "parameters": [
                        {"name": "sku", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                        {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Where the page starts; copy it from `next`, never make it up.",
                        },
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                    ],
                    "responses": {
                        "200": _response("A page of stock.", "StockPage"),
                        "400": _response("Invalid parameters.", "ValidationError"),
                        "401": _UNAUTHORIZED,
                        "403": _FORBIDDEN,
                    },
                }
            },
            "/tracking-events": {"post": _tracking_events_operation()},
            "/schema": {
                "get": {
                    "operationId": "schema",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {**_input_schemas(), **_output_schemas()},
        },
    }
