from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from backoffice.api.tokens import api_token_revoke
from backoffice.models import ApiToken, BackgroundJob, DemoDataset, IdempotencyKey, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by whoever has the view permission; nobody adds, changes or deletes here (rows that
    only services write, such as ledgers and logs). Shared by every app's admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("hostname", "last_seen_at")
    ordering = ("-last_seen_at",)


@admin.register(DemoDataset)
class DemoDatasetAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "options")


@admin.register(BackgroundJob)
class BackgroundJobAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "status", "done", "total", "created_by", "created_at", "finished_at")
    list_filter = ("kind", "status")


class ApiTokenForm(forms.ModelForm):
    scopes = forms.TypedMultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What programs holding this token may do; other endpoints answer 403 insufficient_scope.",
    )

    class Meta:
        model = ApiToken
        fields = ("scopes",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are created with `manage.py create_api_token` (the token is shown once, in the terminal);
    here managers see which exist and when each was last used, change what each may do (its scopes),
    and revoke them. Nothing else of a token changes."""

    form = ApiTokenForm
    list_display = ("name", "prefix", "scope_list", "is_active", "created_at", "last_used_at", "revoked_at")
    list_filter = ("is_active",)
    fields = ("name", "prefix", "scopes", "is_active", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "prefix", "is_active", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("backoffice.change_apitoken")

    @admin.display(description="scopes")
    def scope_list(self, token):
        return ", ".join(token.scopes)

    def has_revoke_permission(self, request):
        return request.user.has_perm("backoffice.change_apitoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(api_token_revoke(token_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{revoked} token(s) revoked; programs using them now get 401.")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """The first answers of keyed API requests, replayed to repeats of the same key (see
    backoffice.api.idempotency); purged after IDEMPOTENCY_KEY_RETENTION_DAYS."""

    list_display = ("key", "token", "response_status", "created_at", "completed_at")
    list_filter = ("response_status",)
    search_fields = ("key",)
    list_select_related = ("token",)


class StaffUserAdmin(UserAdmin):
    """Managers add staff and set their roles; only a superuser grants superuser or single permissions."""

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            fields = (*fields, "is_superuser", "user_permissions")
        return fields


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
