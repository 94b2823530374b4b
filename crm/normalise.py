"""How customers' e-mail addresses, phone numbers, countries and postcodes are stored.

One normal form each, so that a lookup is an exact (or prefix) match on an index and two spellings of the
same address or number are recognised as one: e-mail trimmed and in lower case, phones in E.164
("+441134960123"). Forms call these to show every problem at once; the services call them again, so
that no other caller (admin, API, import) can store a value in another form.
"""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crm.countries import COUNTRIES
from crm.exceptions import InvalidAddress, InvalidEmail, InvalidPhone

# The national trunk prefix most countries dial before an area code ("0113 ..." in the UK).
_TRUNK_PREFIX = "0"
# Characters people type inside a phone number that carry no meaning.
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
# Outward code, a space, inward code; the shapes Royal Mail issues (GIR 0AA is Girobank's old one).
_UK_POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2})$")


def default_region() -> str:
    return settings.CRM_DEFAULT_PHONE_REGION


def normalise_email(raw: str) -> str:
    """The address trimmed and in lower case ("" stays ""); raises InvalidEmail if it is not one.

    The whole address is lower-cased, local part included: RFC 5321 lets a server tell "Ann" from
    "ann", but no mail provider does, and shop staff type what the customer says on the phone.
    """
    email = (raw or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidEmail(f"“{raw.strip()}” is not an e-mail address.") from None
    return email


def normalise_phone(raw: str, *, region: str | None = None) -> str:
    """The number in E.164 ("" stays ""); raises InvalidPhone if it is not a valid number.

    A number without a country code is read as a number of `region` (default: the shop's home
    country, settings.CRM_DEFAULT_PHONE_REGION); "+44 ..." and "0044 ..." work from anywhere.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    region = (region or default_region()).upper()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"“{text}” is not a phone number.") from None
    if number.extension:
        # E.164 has no extensions; dropping one silently would lose how to reach the person.
        raise InvalidPhone(f"“{text}” has an extension; store the main number, and the extension in the notes.")
    if not phonenumbers.is_valid_number(number):
        if text.startswith("+"):
            raise InvalidPhone(f"“{text}” is not a valid phone number.")
        raise InvalidPhone(
            f"“{text}” is not a valid phone number in {region}; start a number of another country with + and its code."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_prefix(text: str) -> str | None:
    """The E.164 prefix a partly typed number starts with, or None when `text` is not one.

    "0113 496" (a national number as typed, of the home country) -> "+44113496"; "+44 113" and
    "0044 113" -> "+44113". Three digits at least: fewer match most customers.
    """
    compact = _PHONE_PUNCTUATION.sub("", text or "")
    plus = compact.startswith("+")
    digits = compact.removeprefix("+")
    if len(digits) < 3 or not digits.isdigit():
        return None
    if plus:
        return f"+{digits}"
    if digits.startswith("00"):
        return f"+{digits[2:]}"
    if digits.startswith(_TRUNK_PREFIX):
        country_code = phonenumbers.country_code_for_region(default_region())
        return f"+{country_code}{digits[1:]}"
    return f"+{digits}"


def format_phone(e164: str) -> str:
    """For people: national format for the home country ("0113 496 0123"), international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == default_region()
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def normalise_country(raw: str) -> str:
    """An ISO 3166-1 alpha-2 code in upper case; raises InvalidAddress for anything else."""
    code = (raw or "").strip().upper()
    if code not in COUNTRIES:
        raise InvalidAddress(f"“{(raw or '').strip()}” is not an ISO 3166-1 country code (e.g. GB).", field="country")
    return code


def normalise_postal_code(raw: str, *, country: str) -> str:
    """Trimmed, single-spaced and in upper case; UK postcodes are required, checked, and get their one
    space ("ls101rp" -> "LS10 1RP")."""
    code = " ".join((raw or "").split()).upper()
    if country == "GB":
        if not code:
            # Royal Mail and every UK carrier refuse a parcel without one.
            raise InvalidAddress("A UK address needs a postcode.", field="postal_code")
        if not _UK_POSTCODE.fullmatch(code):
            raise InvalidAddress(f"“{raw.strip()}” is not a UK postcode.", field="postal_code")
        compact = code.replace(" ", "")
        code = f"{compact[:-3]} {compact[-3:]}"
    return code
