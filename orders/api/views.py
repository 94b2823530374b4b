"""API v1 endpoints: parse and check the request, call one service or selector, answer in JSON."""

import json
from dataclasses import replace
from functools import partial
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse

from backoffice.api.http import ApiError, api_view, dumps, invalid, json_response, read_json
from backoffice.api.idempotency import idempotency_key, idempotent_run, request_fingerprint
from backoffice.models import ApiToken
from inventory.exceptions import InsufficientStock
from orders.api import selectors
from orders.api.openapi import openapi_document
from orders.api.parsing import parse_order, parse_stock_query, parse_tracking_events, service_errors
from orders.api.serialise import order_data, stock_data
from orders.exceptions import DuplicateOrder, InvalidOrder
from orders.models import Order
from orders.services.placement import OrderInput, order_place
from orders.services.tracking import CREATED, EVENT_ID_CONFLICT, REFUSED, TrackingOutcome, tracking_events_record

# order_place is its own durable transaction. The API runs its body inside the transaction of
# idempotent_run instead, so that an order and its Idempotency-Key's stored answer commit together or not
# at all; that transaction is as durable, and adds only the key's claim before and its answer after.
_order_place_body = order_place.__wrapped__


@api_view(methods=("POST",), scope=ApiToken.Scope.ORDERS)
def order_create(request):
    key = idempotency_key(request)
    payload = read_json(request)
    data = replace(parse_order(payload), placed_via=f"API token {request.api_token.name}")
    answer = idempotent_run(
        token=request.api_token,
        key=key,
        fingerprint=request_fingerprint(method=request.method, path=request.path, payload=payload),
        perform=partial(_place, data),
        render=_placed,
    )
    response = json_response(answer.status, answer.body)
    if answer.status == 201:
        response["Location"] = reverse("api:order-detail", kwargs={"number": _number(answer.body)})
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _place(data: OrderInput) -> Order | ApiError:
    """Place the order; a refusal is an answer to keep for replays, so it is returned, not raised."""
    try:
        # A savepoint: a refusal takes back whatever the attempt wrote (the transaction goes on to store it).
        with transaction.atomic():
            return _order_place_body(data=data)
    except InvalidOrder as error:
        return invalid(service_errors(error.errors), "The order cannot be placed; see `errors`.")
    except DuplicateOrder as error:
        return ApiError(409, "duplicate_order", str(error), number=error.number)
    except InsufficientStock as error:
        shortages = [
            {"sku": s.sku, "warehouse": s.warehouse, "requested": s.requested, "available": s.available}
            for s in error.shortages
        ]
        return ApiError(409, "insufficient_stock", str(error), shortages=shortages)


def _placed(result: Order | ApiError) -> tuple[int, str]:
    if isinstance(result, ApiError):
        return result.status, dumps(result.as_body())
    return 201, dumps(order_data(selectors.order_get(number=result.number)))


def _number(body: str) -> str:
    # A replay has only the stored body to say which order it was.
    return json.loads(body)["number"]


@api_view(methods=("GET",), scope=ApiToken.Scope.ORDERS)
def order_detail(request, number):
    order = selectors.order_get(number=number)
    if order is None:
        raise ApiError(404, "not_found", f"There is no order {number}.")
    return json_response(200, dumps(order_data(order)))


@api_view(methods=("GET",), scope=ApiToken.Scope.STOCK)
def stock(request):
    query = parse_stock_query(request.GET)
    if query.skus:
        page = selectors.stock_for_skus(skus=query.skus)
    elif query.updated_since:
        page = selectors.stock_changes(since=query.updated_since, after=query.cursor, limit=query.limit)
    else:
        page = selectors.stock_list(after=query.after, limit=query.limit)
    next_url = None
    if page.next_after:
        following = {"after": page.next_after, "limit": query.limit}
        if query.updated_since:
            following["updated_since"] = query.updated_since.isoformat()
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(following)}")
    return json_response(200, dumps(stock_data(page, next_url=next_url)))


@api_view(methods=("POST",), scope=ApiToken.Scope.TRACKING)
def tracking_events(request):
    # The event ids are the idempotency keys: a repeat is found by its id, whoever sends it.
    parsed = parse_tracking_events(read_json(request))
    outcomes = tracking_events_record(updates=parsed.updates)
    refused = outcomes[0]
    if parsed.single and refused.result == REFUSED:
        status = 409 if refused.error == EVENT_ID_CONFLICT else 422
        raise ApiError(
            status, refused.error, refused.message, event_id=refused.event_id, tracking_number=refused.tracking_number
        )
    status = 201 if any(outcome.result == CREATED for outcome in outcomes) else 200
    return json_response(status, dumps({"events": [_tracking_outcome_data(outcome) for outcome in outcomes]}))


def _tracking_outcome_data(outcome: TrackingOutcome) -> dict:
    found = outcome.result != REFUSED
    return {
        "event_id": outcome.event_id,
        "tracking_number": outcome.tracking_number,
        "result": outcome.result,
        "error": outcome.error or None,
        "message": outcome.message or None,
        "parcel": {"position": outcome.parcel_position, "status": outcome.parcel_status} if found else None,
        "shipment": {"position": outcome.shipment_position, "status": outcome.shipment_status} if found else None,
        "order": {
            "number": outcome.order_number,
            "status": outcome.order_status,
            "payment_status": outcome.payment_status,
        }
        if found
        else None,
    }


@api_view(methods=("GET",), authenticate=False)
def schema(request):
    return json_response(200, dumps(openapi_document()))


@api_view(methods=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), authenticate=False)
def not_found(request, path=""):
    raise ApiError(404, "not_found", f"There is no API endpoint {request.path}; see /api/v1/schema.")
