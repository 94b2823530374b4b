"""Writes of crm: customers and their address books.

Every value is normalised here (crm.normalise) whoever calls, so the indexes and the duplicate guard see
one spelling of each e-mail address and phone number. Lock order within crm: the customer row, then its
addresses; a change of defaults takes the customer's lock so that two concurrent switches queue.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from backoffice.money import quantize
from crm import selectors
from crm.exceptions import DuplicateEmail, InvalidAddress, InvalidCustomer
from crm.models import Address, Customer, CustomerTier
from crm.normalise import normalise_country, normalise_email, normalise_phone, normalise_postal_code

# Longer than any shop grants; a bigger number is a typing mistake.
MAX_PAYMENT_TERMS_DAYS = 365
# DecimalField(max_digits=14, decimal_places=2).
MAX_CREDIT_LIMIT = Decimal("999999999999.99")


@dataclass(frozen=True)
class CustomerData:
    """What a person enters about a customer; the services normalise and check it."""

    name: str
    kind: str = Customer.Kind.INDIVIDUAL
    company: str = ""
    email: str = ""
    phone: str = ""
    tier_id: int | None = None
    payment_terms_days: int = 0
    credit_limit_amount: Decimal = Decimal(0)
    notes: str = ""


@dataclass(frozen=True)
class AddressData:
    line1: str
    city: str
    country: str
    label: str = ""
    name: str = ""
    company: str = ""
    line2: str = ""
    region: str = ""
    postal_code: str = ""
    phone: str = ""


ADDRESS_FIELDS = ("label", "name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")


# --- customers -------------------------------------------------------------------------------------


@transaction.atomic
def customer_create(*, data: CustomerData) -> Customer:
    """Create a customer from what was entered.

    Raises InvalidEmail, InvalidPhone, InvalidCustomer, or DuplicateEmail (naming the customer who has
    the address already).
    """
    values = _clean_customer(data)
    _ensure_email_free(values["email"], exclude_id=None)
    customer = Customer(**values)
    _save_guarding_email(customer)
    return customer


@transaction.atomic
def customer_update(*, customer_id: int, data: CustomerData) -> Customer:
    """Replace a customer's details with what was entered (the edit form holds every field).

    Raises Customer.DoesNotExist, InvalidEmail, InvalidPhone, InvalidCustomer, DuplicateEmail.
    """
    customer = _lock_customer(customer_id)
    values = _clean_customer(data)
    _ensure_email_free(values["email"], exclude_id=customer.pk)
    for name, value in values.items():
        setattr(customer, name, value)
    _save_guarding_email(customer, update_fields=[*values, "updated_at"])
    return customer


@transaction.atomic
def customer_set_active(*, customer_id: int, is_active: bool) -> Customer:
    """Deactivate a customer (kept with their history, no longer offered for new orders), or reactivate.

    Raises Customer.DoesNotExist.
    """
    customer = _lock_customer(customer_id)
    if customer.is_active != is_active:
        customer.is_active = is_active
        customer.save(update_fields=["is_active", "updated_at"])
    return customer


def _clean_customer(data: CustomerData) -> dict:
    kind = data.kind
    if kind not in Customer.Kind.values:
        raise InvalidCustomer(f"Unknown kind of customer: {kind}.", field="kind")
    name = " ".join(data.name.split())
    company = " ".join(data.company.split())
    if not name:
        raise InvalidCustomer("A customer needs a name.", field="name")
    if kind == Customer.Kind.BUSINESS and not company:
        # Invoices to a business carry its legal name; the name field holds the contact person.
        raise InvalidCustomer("A business customer needs a company name.", field="company")
    if not 0 <= data.payment_terms_days <= MAX_PAYMENT_TERMS_DAYS:
        raise InvalidCustomer(
            f"Payment terms are between 0 (pay in advance) and {MAX_PAYMENT_TERMS_DAYS} days.",
            field="payment_terms_days",
        )
    credit_limit = quantize(data.credit_limit_amount)
    if not Decimal(0) <= credit_limit <= MAX_CREDIT_LIMIT:
        raise InvalidCustomer("The credit limit is an amount of 0 or more.", field="credit_limit_amount")
    if data.tier_id is not None and not CustomerTier.objects.filter(pk=data.tier_id).exists():
        raise InvalidCustomer("That tier no longer exists.", field="tier")
    return {
        "kind": kind,
        "name": name,
        "company": company,
        "email": normalise_email(data.email),
        "phone": normalise_phone(data.phone),
        "tier_id": data.tier_id,
        "payment_terms_days": data.payment_terms_days,
        "credit_limit_amount": credit_limit,
        "notes": data.notes.strip(),
    }


def _ensure_email_free(email: str, *, exclude_id: int | None) -> None:
    existing = selectors.customer_by_email(email=email)
    if existing is not None and existing.pk != exclude_id:
        raise DuplicateEmail(email, existing)


def _save_guarding_email(customer: Customer, *, update_fields: list[str] | None = None) -> None:
    """Save; if another transaction took the e-mail address since the check, say who has it now."""
    try:
        # A savepoint: the unique violation must leave the caller's transaction usable.
        with transaction.atomic():
            customer.save(update_fields=update_fields)
    except IntegrityError:
        _ensure_email_free(customer.email, exclude_id=customer.pk)
        raise


# --- addresses -------------------------------------------------------------------------------------


@transaction.atomic
def address_add(
    *, customer_id: int, data: AddressData, is_default_billing: bool = False, is_default_shipping: bool = False
) -> Address:
    """Add an address to a customer's address book, optionally as the new default for billing and/or
    shipping. The customer's first address becomes both defaults: an order needs somewhere to go.

    Raises Customer.DoesNotExist, InvalidAddress, InvalidPhone.
    """
    customer = _lock_customer(customer_id)
    values = _clean_address(data)
    is_first = not customer.addresses.exists()
    address = Address.objects.create(customer=customer, **values)
    _make_default(address, billing=is_default_billing or is_first, shipping=is_default_shipping or is_first)
    return address


@transaction.atomic
def address_update(*, address_id: int, data: AddressData) -> Address:
    """Replace an address's contents (its default flags stay; see address_set_default).

    Raises Address.DoesNotExist, InvalidAddress, InvalidPhone.
    """
    customer_id = Address.objects.values_list("customer_id", flat=True).get(pk=address_id)
    _lock_customer(customer_id)
    address = Address.objects.select_for_update().get(pk=address_id)
    for name, value in _clean_address(data).items():
        setattr(address, name, value)
    address.save(update_fields=[*ADDRESS_FIELDS, "updated_at"])
    return address


@transaction.atomic
def address_set_default(*, address_id: int, billing: bool = False, shipping: bool = False) -> Address:
    """Make an address its customer's default billing and/or shipping address, in place of the one
    that was (which stops being the default in the same transaction).

    Raises Address.DoesNotExist, InvalidAddress when neither billing nor shipping is asked for.
    """
    if not (billing or shipping):
        raise InvalidAddress("Say whether the address becomes the default for billing, shipping or both.")
    customer_id = Address.objects.values_list("customer_id", flat=True).get(pk=address_id)
    _lock_customer(customer_id)
    address = Address.objects.select_for_update().get(pk=address_id)
    _make_default(address, billing=billing, shipping=shipping)
    return address


def _lock_customer(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def _make_default(address: Address, *, billing: bool, shipping: bool) -> None:
    """Move the default flags to `address`, under its customer's lock.

    The partial unique indexes are checked statement by statement, so the old default is cleared
    before the new one is set.
    """
    for flag, wanted in (("is_default_billing", billing), ("is_default_shipping", shipping)):
        if not wanted or getattr(address, flag):
            continue
        Address.objects.filter(customer_id=address.customer_id, **{flag: True}).update(**{flag: False})
        Address.objects.filter(pk=address.pk).update(**{flag: True})
        setattr(address, flag, True)


def _clean_address(data: AddressData) -> dict:
    values = {name: " ".join(getattr(data, name).split()) for name in ADDRESS_FIELDS}
    for required, label in (("line1", "the first line of the address"), ("city", "the town or city")):
        if not values[required]:
            raise InvalidAddress(f"An address needs {label}.", field=required)
    values["country"] = normalise_country(values["country"])
    values["postal_code"] = normalise_postal_code(values["postal_code"], country=values["country"])
    # A local number on a foreign address is that country's number, not the shop's.
    values["phone"] = normalise_phone(values["phone"], region=values["country"])
    return values
