"""Reads of customers for the crm pages, the order entry screen's autocomplete and other apps."""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import BooleanField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower, Upper

from crm.models import Address, Customer, CustomerTier
from crm.normalise import phone_search_prefix

CUSTOMER_PAGE_SIZE = 50
AUTOCOMPLETE_SIZE = 8
# A customer number typed in the search box; longer digit strings are phone numbers.
_MAX_CUSTOMER_NUMBER_DIGITS = 9

# Keyset pagination in the order of the customer_name_order index, (upper(name), id): the next page
# starts after the row whose id the previous page ended with. A row comparison is the one form of
# "after (a, b)" that PostgreSQL answers from the index; Django has no public expression for it.
_AFTER_ROW = (
    '(UPPER("crm_customer"."name"), "crm_customer"."id") > '
    '(SELECT UPPER(last."name"), last."id" FROM "crm_customer" last WHERE last."id" = %s)'
)


@dataclass
class CustomerPage:
    customers: list[Customer]
    # The id of the last customer when more follow: the `after` of the next page.
    next_after: int | None


def customer_search(
    *,
    query: str = "",
    kind: str = "",
    tier_id: int | None = None,
    inactive: bool = False,
    after: int | None = None,
    limit: int = CUSTOMER_PAGE_SIZE,
) -> CustomerPage:
    """One page of customers in name order, matching `query` by name, company, e-mail or phone.

    The words of `query` match the words of the name and company (the last one as a prefix, as it is
    being typed); the whole of it also matches the start of the e-mail address, the start of the phone
    number once normalised ("0113 496" finds +44113496...), and the customer number. Active customers
    unless `inactive` asks for the inactive ones. Each customer comes with its tier and its default
    addresses (`default_billing`, `default_shipping`): two queries, whatever the page size.
    """
    customers = Customer.objects.filter(is_active=not inactive)
    if query.strip():
        customers = customers.alias(
            email_key=Lower("email"), name_search=SearchVector("name", "company", config="simple")
        ).filter(_matching(query))
    if kind:
        customers = customers.filter(kind=kind)
    if tier_id is not None:
        customers = customers.filter(tier_id=tier_id)
    if after is not None:
        customers = customers.filter(RawSQL(_AFTER_ROW, [after], output_field=BooleanField()))
    page = list(
        customers.select_related("tier")
        .prefetch_related(_default_addresses())
        .order_by(Upper("name"), "id")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    for customer in page:
        _set_defaults(customer, customer.default_addresses)
    return CustomerPage(customers=page, next_after=page[-1].pk if more else None)


def _default_addresses() -> Prefetch:
    defaults = Address.objects.filter(Q(is_default_billing=True) | Q(is_default_shipping=True))
    return Prefetch("addresses", queryset=defaults.order_by("id"), to_attr="default_addresses")


def _set_defaults(customer: Customer, addresses: list[Address]) -> None:
    """`default_billing` and `default_shipping` on the customer: its default addresses, or None."""
    customer.default_billing = next((a for a in addresses if a.is_default_billing), None)
    customer.default_shipping = next((a for a in addresses if a.is_default_shipping), None)


def _matching(text: str) -> Q:
    """The alternatives of customer_search's query, each answered by its own index: the GIN index on
    the words of name and company, lower(email) and phone with text_pattern_ops, the primary key."""
    text = text.strip()
    match = Q(email_key__startswith=text.lower())
    # Only letters and digits reach to_tsquery: its syntax characters (& | ! : ' ( ) <->) in raw user
    # input would be a syntax error or change the meaning.
    words = re.findall(r"[^\W_]+", text.lower())[:8]
    if words:
        terms = [f"'{word}'" for word in words]
        # A one-letter prefix matches most names and helps nobody.
        if len(words[-1]) > 1:
            terms[-1] += ":*"
        match |= Q(name_search=SearchQuery(" & ".join(terms), search_type="raw", config="simple"))
    phone = phone_search_prefix(text)
    if phone:
        match |= Q(phone__startswith=phone)
    if text.isdigit() and not text.startswith("0") and len(text) <= _MAX_CUSTOMER_NUMBER_DIGITS:
        match |= Q(pk=int(text))
    return match


def customer_get(*, customer_id: int) -> Customer | None:
    """One customer with its tier, its whole address book (`address_book`: defaults first) and its
    `default_billing` and `default_shipping` addresses (or None)."""
    addresses = Address.objects.order_by("-is_default_billing", "-is_default_shipping", "label", "id")
    customer = (
        Customer.objects.select_related("tier")
        .prefetch_related(Prefetch("addresses", queryset=addresses, to_attr="address_book"))
        .filter(pk=customer_id)
        .first()
    )
    if customer is not None:
        _set_defaults(customer, customer.address_book)
    return customer


def customer_by_email(*, email: str) -> Customer | None:
    """The customer with this (normalised) e-mail address; None for "" or nobody."""
    if not email:
        return None
    # Lower("email") is the expression of the e-mail index (the column holds lower case already).
    return Customer.objects.annotate(email_key=Lower("email")).filter(email_key=email.lower()).order_by("pk").first()


def address_get(*, customer_id: int, address_id: int) -> Address | None:
    """An address of that customer (None for another customer's address)."""
    return Address.objects.select_related("customer").filter(pk=address_id, customer_id=customer_id).first()


def tier_list() -> QuerySet[CustomerTier]:
    return CustomerTier.objects.order_by("rank", "name")
