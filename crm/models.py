"""Customers, their discount-club tiers and their address books.

Only crm.services writes these rows: it normalises e-mail addresses and phone numbers (crm.normalise)
and keeps each customer's default addresses one of a kind. (Credit checks, duplicates and merging come
with orders.)
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper

from crm.countries import COUNTRIES


class CustomerTier(models.Model):
    """A discount-club tier (e.g. Silver, Gold); pricing decides what a tier is worth."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Higher ranks are better tiers.")

    class Meta:
        ordering = ["rank", "name"]

    def __str__(self):
        return self.name


class Customer(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        BUSINESS = "business", "Business"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INDIVIDUAL)
    # An individual's name, or a business's contact person.
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    # Stored normalised (trimmed, lower case) by crm.services, so lookups are exact; unique when set.
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +441134960123")
    tier = models.ForeignKey(CustomerTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers")
    payment_terms_days = models.PositiveSmallIntegerField(default=0, help_text="0: pay in advance")
    credit_limit_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    notes = models.TextField(blank=True)
    # Inactive customers keep their history but are not offered for new orders.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Duplicates are refused by customer_create/customer_update with the other customer's name;
            # this stops the race between two staff typing the same new customer at once.
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="customer_email_unique"),
            models.CheckConstraint(condition=Q(credit_limit_amount__gte=0), name="customer_credit_limit_not_negative"),
        ]
        indexes = [
            # The list's order and keyset pagination: (upper(name), id).
            models.Index(Upper("name"), "id", name="customer_name_order"),
            # Search: the words of name and company, an e-mail prefix, a phone prefix (E.164). The
            # e-mail index also serves exact lookups on lower(email) (pricing's customer_find).
            GinIndex(SearchVector("name", "company", config="simple"), name="customer_name_search"),
            models.Index(OpClass(Lower("email"), name="text_pattern_ops"), name="customer_email_prefix"),
            models.Index(fields=["phone"], opclasses=["text_pattern_ops"], name="customer_phone_prefix"),
        ]

    def __str__(self):
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def is_business(self) -> bool:
        return self.kind == self.Kind.BUSINESS


class Address(models.Model):
    """One address of a customer's address book; at most one is the default for billing, one for shipping.

    Orders copy the address they ship to, so editing an address here changes no order.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, blank=True, help_text="e.g. Home, Office, Warehouse")
    # Who the parcel or invoice is addressed to; blank: the customer's own name and company.
    name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    line1 = models.CharField("address", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField("town or city", max_length=100)
    region = models.CharField("county or region", max_length=100, blank=True)
    postal_code = models.CharField("postcode", max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. GB")
    phone = models.CharField(max_length=32, blank=True, help_text="E.164; for the carrier")
    is_default_billing = models.BooleanField(default=False)
    is_default_shipping = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["customer_id", "-is_default_shipping", "-is_default_billing", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default_billing=True), name="address_one_default_billing"
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default_shipping=True), name="address_one_default_shipping"
            ),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="address_country_code"),
        ]

    def __str__(self):
        return ", ".join(part for part in (self.line1, self.city, self.postal_code) if part)

    @property
    def country_name(self) -> str:
        return COUNTRIES.get(self.country, self.country)

    @property
    def lines(self) -> list[str]:
        """The address as printed on a label, one line each, without empty lines."""
        town = " ".join(part for part in (self.city, self.postal_code) if part)
        parts = (self.name, self.company, self.line1, self.line2, town, self.region, self.country_name)
        return [part for part in parts if part]
