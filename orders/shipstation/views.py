"""The one URL ShipStation calls (/integrations/shipstation/), the action chosen by `?action=`:
GET export (our shipments as its Orders XML), POST shipnotify (a ShipNotice of what it shipped).

ShipStation is a program, not a browser: no session, no CSRF token; its credentials come with every
call (orders.shipstation.auth: 401 when wrong, 429 after too many wrong ones from one address).
Answers other than the XML are plain text saying what happened.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from orders.services.shipstation import shipstation_notice_apply, shipstation_notice_refuse
from orders.shipstation import auth, export, notices


def _text(message: str, status: int = 200) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def endpoint(request):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    refused = auth.refusal(request)
    if refused is not None:
        return refused
    action = request.GET.get("action", "").strip().lower()
    if action == "export":
        return _export(request) if request.method == "GET" else HttpResponseNotAllowed(["GET"])
    if action == "shipnotify":
        return _shipnotify(request) if request.method == "POST" else HttpResponseNotAllowed(["POST"])
    return _text("Unknown action: use action=export (GET) or action=shipnotify (POST).", 400)


def _export(request) -> HttpResponse:
    try:
        window = export.window_read(request.GET)
    except export.ExportRequestError as error:
        return _text(str(error), 400)
    xml = export.render(export.export_page(window))
    return HttpResponse(xml.encode("utf-8"), content_type="text/xml; charset=utf-8")


def _shipnotify(request) -> HttpResponse:
    params = notices.loggable_params(request.GET)
    try:
        raw = request.body
    except RequestDataTooBig:
        result = shipstation_notice_refuse(params=params, body="", message="The body is too large.", status_code=413)
        return _text(result.message, result.status_code)
    body = notices.body_text(raw)
    try:
        notice = notices.notice_read(raw, request.GET)
    except notices.NoticeError as error:
        result = shipstation_notice_refuse(params=params, body=body, message=str(error))
    else:
        result = shipstation_notice_apply(notice=notice, params=params, body=body)
    return _text(result.message, result.status_code)
