from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _grant_role_permissions(sender, using="default", **kwargs):
    # Django creates each app's model permissions in its own post_migrate handler, app by app; waiting
    # for the last app means every model's permissions exist before the roles are granted theirs.
    # (post_migrate is sent only for apps that have a models module.)
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender is not last:
        return
    from django.contrib.auth.models import Group, Permission

    from backoffice.roles import grant_role_permissions

    grant_role_permissions(Group.objects.db_manager(using), Permission.objects.db_manager(using))


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self):
        post_migrate.connect(_grant_role_permissions, dispatch_uid="backoffice-role-permissions")
