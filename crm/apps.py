from django.apps import AppConfig
from django.core import checks


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Customers"

    def ready(self):
        checks.register(check_default_phone_region)


def check_default_phone_region(app_configs=None, **kwargs):
    """A mistyped CRM_DEFAULT_PHONE_REGION would refuse every phone number typed without a country code."""
    import phonenumbers
    from django.conf import settings

    region = settings.CRM_DEFAULT_PHONE_REGION
    if region in phonenumbers.SUPPORTED_REGIONS:
        return []
    return [
        checks.Error(
            f"CRM_DEFAULT_PHONE_REGION is {region!r}, which is no country's code (e.g. GB, DE, US).",
            id="crm.E001",
        )
    ]
