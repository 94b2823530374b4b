"""Views of the inventory CSV imports and exports.

An upload becomes a BackgroundJob that keeps the file and runs the import in a Celery worker; the
import page then shows the job's progress card until it finishes, and the outcome below it.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.htmx import page_or_partial
from backoffice.jobs import job_create
from backoffice.models import BackgroundJob
from inventory.exports import STOCK_LEVEL_EXPORT_COLUMNS, csv_stream, stock_level_export_rows
from inventory.imports import (
    MAX_FILE_BYTES,
    PRODUCT_COLUMNS,
    PRODUCT_EXAMPLE_ROWS,
    STOCK_COUNT_COLUMNS,
    STOCK_COUNT_EXAMPLE_ROWS,
    example_csv,
)
from inventory.models import Warehouse
from inventory.tasks import product_import_task, stock_count_import_task

ACCESS = "backoffice.access_inventory"


class CsvUploadForm(forms.Form):
    # The file is checked in the job, which keeps it; only what cannot be stored is refused here.
    file = forms.FileField(label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it into smaller files."
            )
        return upload


@dataclass(frozen=True)
class ImportPage:
    kind: str
    title: str
    template: str
    url_name: str
    example_url_name: str
    example_filename: str
    columns: tuple
    example_rows: tuple
    task: object
    permissions: tuple


PRODUCT_IMPORT = ImportPage(
    kind="inventory.product_import",
    title="Product import",
    template="inventory/import_products.html",
    url_name="inventory:product-import",
    example_url_name="inventory:product-import-example",
    example_filename="products-example.csv",
    columns=PRODUCT_COLUMNS,
    example_rows=PRODUCT_EXAMPLE_ROWS,
    task=product_import_task,
    permissions=(ACCESS, "inventory.add_product", "inventory.change_product"),
)
STOCK_COUNT_IMPORT = ImportPage(
    kind="inventory.stock_count_import",
    title="Stock count import",
    template="inventory/import_stock_counts.html",
    url_name="inventory:stock-count-import",
    example_url_name="inventory:stock-count-import-example",
    example_filename="stock-counts-example.csv",
    columns=STOCK_COUNT_COLUMNS,
    example_rows=STOCK_COUNT_EXAMPLE_ROWS,
    task=stock_count_import_task,
    permissions=(ACCESS, "inventory.add_stockmovement"),
)
IMPORT_PAGES = {page.kind: page for page in (PRODUCT_IMPORT, STOCK_COUNT_IMPORT)}


@login_required
@permission_required(PRODUCT_IMPORT.permissions, raise_exception=True)
@vary_on_headers("HX-Request")
@never_cache
def product_import(request):
    return _import_page(request, PRODUCT_IMPORT)


@login_required
@permission_required(STOCK_COUNT_IMPORT.permissions, raise_exception=True)
@vary_on_headers("HX-Request")
@never_cache
def stock_count_import(request):
    return _import_page(request, STOCK_COUNT_IMPORT)


def _import_page(request, page: ImportPage):
    """GET: the form, and the job named by ?job= (its outcome alone for htmx). POST: start a job."""
    form = CsvUploadForm(request.POST, request.FILES) if request.method == "POST" else CsvUploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        job = _start(request, page, upload, upload.name)
        return redirect(f"{reverse(page.url_name)}?job={job.pk}")
    job = _shown_job(request, page.kind)
    template = page_or_partial(request, page.template, "import-outcome") if job else page.template
    recent = BackgroundJob.objects.filter(kind=page.kind, created_by=request.user)[:10]
    context = {
        "page": page,
        "form": form,
        "job": job,
        "recent_jobs": recent,
        "max_megabytes": MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, template, context, status=400 if form.errors else 200)


def _start(request, page: ImportPage, input_file, filename: str) -> BackgroundJob:
    return job_create(
        kind=page.kind,
        title=f"{page.title}: {filename}"[:200],
        actor=request.user,
        params={"filename": filename},
        input_file=input_file,
        task=page.task,
    )


@login_required
@require_POST
def import_again(request, job_id):
    """Run a failed import again on the file it kept: after a conflicting change, or once the
    catalogue holds what the file needed (a tax class, a warehouse)."""
    job = _visible_job(request, job_id, list(IMPORT_PAGES))
    page = IMPORT_PAGES[job.kind]
    if not request.user.has_perms(page.permissions):
        raise PermissionDenied
    if job.status != BackgroundJob.Status.FAILED or not job.input_file:
        raise Http404("Only a failed import with its file can run again.")
    # The new job refers to the same stored file: nothing is copied, and the first job keeps it too.
    again = _start(request, page, job.input_file.name, job.params.get("filename", job.input_file.name))
    return redirect(f"{reverse(page.url_name)}?job={again.pk}")


def _shown_job(request, kind: str) -> BackgroundJob | None:
    job_id = request.GET.get("job", "")
    return _visible_job(request, job_id, [kind]) if job_id.isdigit() else None


def _visible_job(request, job_id, kinds) -> BackgroundJob:
    """An import job, for the person who started it or anyone who may see all jobs."""
    job = get_object_or_404(BackgroundJob, pk=job_id, kind__in=kinds)
    if job.created_by_id != request.user.pk and not request.user.has_perm("backoffice.view_backgroundjob"):
        raise PermissionDenied
    return job


@login_required
@permission_required(ACCESS, raise_exception=True)
@require_GET
def import_file(request, job_id):
    """The file uploaded for an import, as it was sent: kept whether the import succeeded or not."""
    job = _visible_job(request, job_id, list(IMPORT_PAGES))
    if not job.input_file:
        raise Http404("This import has no file.")
    filename = job.params.get("filename") or job.input_file.name.rsplit("/", 1)[-1]
    return FileResponse(job.input_file.open("rb"), as_attachment=True, filename=filename)


@login_required
@permission_required(ACCESS, raise_exception=True)
@require_GET
def product_import_example(request):
    return _example(PRODUCT_IMPORT)


@login_required
@permission_required(ACCESS, raise_exception=True)
@require_GET
def stock_count_import_example(request):
    return _example(STOCK_COUNT_IMPORT)


def _example(page: ImportPage) -> HttpResponse:
    response = HttpResponse(example_csv(page.columns, page.example_rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{page.example_filename}"'
    return response


@login_required
@permission_required([ACCESS, "inventory.view_stocklevel"], raise_exception=True)
@require_GET
def stock_level_export(request):
    """Every stock level as CSV; ?warehouse=<code> limits it to one warehouse."""
    code = request.GET.get("warehouse", "").strip()
    warehouse = get_object_or_404(Warehouse, code=code) if code else None
    rows = stock_level_export_rows(warehouse_id=warehouse.pk if warehouse else None)
    response = StreamingHttpResponse(
        csv_stream(STOCK_LEVEL_EXPORT_COLUMNS, rows), content_type="text/csv; charset=utf-8"
    )
    name = "-".join(filter(None, ["stock-levels", code, timezone.localdate().isoformat()]))
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
