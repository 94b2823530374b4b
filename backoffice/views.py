from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from backoffice.health import system_health
from backoffice.htmx import page_or_partial
from backoffice.models import BackgroundJob
from backoffice.navigation import SECTIONS_BY_KEY, sections_for


@login_required
@vary_on_headers("HX-Request")
def dashboard(request):
    checks = system_health()
    template = page_or_partial(request, "backoffice/dashboard.html", "system-status")
    context = {
        "checks": checks,
        "all_ok": all(check.ok for check in checks),
        "sections": [s for s in sections_for(request.user) if s.key != "dashboard"],
        "roles": request.user.groups.order_by("name").values_list("name", flat=True),
        # The low-stock card loads itself from inventory with htmx: finding low stock reads every
        # level with a reorder point, which should not hold up the dashboard.
        "shows_low_stock": _sees_inventory(request.user),
    }
    return render(request, template, context)


def _sees_inventory(user) -> bool:
    return SECTIONS_BY_KEY["inventory"].allows(user) and user.has_perm("inventory.view_product")


@login_required
def section_pending(request, key):
    """A section of the shell whose pages are not built yet says so plainly."""
    section = SECTIONS_BY_KEY[key]
    if not section.allows(request.user):
        raise PermissionDenied
    return render(request, "backoffice/section_pending.html", {"section": section})


@login_required
@never_cache
def job_detail(request, job_id):
    """A background job's progress; the page's card polls this while the job runs."""
    job = _visible_job(request, job_id)
    template = page_or_partial(request, "backoffice/job_detail.html", "job-progress")
    return render(request, template, {"job": job})


@login_required
def job_download(request, job_id):
    """The file a job produced (a merged PDF, an export), for the people who may see the job."""
    job = _visible_job(request, job_id)
    if not job.output_file:
        raise Http404("This job has produced no file.")
    return FileResponse(
        job.output_file.open("rb"), as_attachment=True, filename=job.output_file.name.rsplit("/", 1)[-1]
    )


def _visible_job(request, job_id) -> BackgroundJob:
    job = get_object_or_404(BackgroundJob, pk=job_id)
    if job.created_by_id != request.user.pk and not request.user.has_perm("backoffice.view_backgroundjob"):
        raise PermissionDenied
    return job


@require_GET
@never_cache
def healthz(request):
    """200 when the database, Redis and a Celery worker are all up, else 503; JSON either way."""
    checks = system_health()
    healthy = all(check.ok for check in checks)
    body = {"status": "ok" if healthy else "unavailable", "checks": {c.name: c.as_dict() for c in checks}}
    return JsonResponse(body, status=200 if healthy else 503)
