from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from backoffice import views
from backoffice.navigation import SECTIONS

# Sections whose app has no pages yet show a plain "not built yet" page; an app that gains pages
# replaces its entry here with include("<app>.urls").
pending_sections = [
    path(f"{section.key}/", views.section_pending, {"key": section.key}, name=section.url_name)
    for section in SECTIONS
    if not section.is_built
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("jobs/<int:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<int:job_id>/download", views.job_download, name="job-download"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("admin/", admin.site.urls),
    path("inventory/", include("inventory.urls")),
    path("pricing/", include("pricing.urls")),
    path("customers/", include("crm.urls")),
    path("orders/", include("orders.urls")),
    path("api/v1/", include("orders.api.urls")),
    path("integrations/", include("orders.shipstation.urls")),
    *pending_sections,
]

admin.site.site_header = "Backoffice administration"
admin.site.site_title = "Backoffice admin"
admin.site.index_title = "Managers' administration"

# Uploaded and generated files (imports, labels, documents) hold customers' data: they are never served
# from MEDIA_URL, even in development, only by views that check who asks (e.g. job-download).
