"""Helpers for the API tests: a valid order body and requests with a bearer token."""

import copy
import json

ORDER_URL = "/api/v1/orders"

BODY = {
    "channel": "web",
    "external_id": "shop-1001",
    "customer": {"name": "Ann Lee", "email": "Ann@Example.TEST", "phone": "0113 496 0123"},
    "shipping_address": {
        "name": "Ann Lee",
        "line1": "1 High Street",
        "city": "Leeds",
        "region": "West Yorkshire",
        "postal_code": "ls1 1aa",
        "country": "gb",
    },
    "lines": [{"sku": "MUG", "quantity": 2}, {"sku": "plate", "quantity": 1}],
    "shipping_method": "standard",
    "payment": {"method": "prepaid", "reference": "card-7731"},
}


def order_body(**changes) -> dict:
    """A valid order body; keyword arguments replace top-level members (None removes one)."""
    body = copy.deepcopy(BODY)
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def post_order(client, secret, body, *, key=None, **extra):
    headers = {"Authorization": f"Bearer {secret}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        ORDER_URL, data=data, content_type=extra.pop("content_type", "application/json"), headers=headers, **extra
    )


def get(client, secret, url, **params):
    return client.get(url, params, headers={"Authorization": f"Bearer {secret}"})
