"""One stored form for each e-mail address, phone number, country and postcode (crm.normalise)."""

import pytest

from crm.apps import check_default_phone_region
from crm.exceptions import InvalidAddress, InvalidEmail, InvalidPhone
from crm.normalise import (
    format_phone,
    normalise_country,
    normalise_email,
    normalise_phone,
    normalise_postal_code,
    phone_search_prefix,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("ORDERS+shop@Sub.Example.org", "orders+shop@sub.example.org"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_emails_are_trimmed_and_lower_cased(typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize("typed", ["jane", "jane@", "@example.com", "jane doe@example.com", "jane@example", "a@@b.com"])
def test_what_is_not_an_email_address_is_refused(typed):
    with pytest.raises(InvalidEmail, match="is not an e-mail address"):
        normalise_email(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "0113 496 0123",
        "01134960123",
        "(0113) 496-0123",
        "0113.496.0123",
        "+44 113 496 0123",
        "+44 (0)113 496 0123",
        "0044 113 496 0123",
        "+441134960123",
    ],
)
def test_uk_numbers_in_every_usual_spelling_become_one_e164_number(typed):
    assert normalise_phone(typed) == "+441134960123"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("020 7946 0958", "+442079460958"),
        ("+1 415-555-2671", "+14155552671"),
        ("+49 30 901820", "+4930901820"),
        ("+33 1 42 68 53 00", "+33142685300"),
        ("", ""),
    ],
)
def test_numbers_with_a_country_code_keep_their_country(typed, stored):
    assert normalise_phone(typed) == stored


def test_a_number_without_country_code_is_read_in_the_region_given():
    assert normalise_phone("030 901820", region="DE") == "+4930901820"


def test_the_default_region_comes_from_the_setting(settings):
    settings.CRM_DEFAULT_PHONE_REGION = "DE"

    assert normalise_phone("030 901820") == "+4930901820"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12345", "not a valid phone number in GB"),
        ("0113 496", "not a valid phone number in GB"),
        ("+44 113 496", "not a valid phone number"),
        ("call me", "is not a phone number"),
        ("0113 496 0123 ext. 5", "has an extension"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(typed, reason):
    with pytest.raises(InvalidPhone, match=reason):
        normalise_phone(typed)


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [
        ("0113 496", "+44113496"),
        ("+44 113", "+44113"),
        ("0044 113", "+44113"),
        ("44113", "+44113"),
        ("(0113) 496-01", "+4411349601"),
        ("01", None),
        ("smith", None),
        ("", None),
    ],
)
def test_a_partly_typed_number_becomes_the_e164_prefix_it_searches(typed, prefix):
    assert phone_search_prefix(typed) == prefix


def test_numbers_are_shown_nationally_at_home_and_internationally_otherwise():
    assert format_phone("+441134960123") == "0113 496 0123"
    assert format_phone("+4930901820") == "+49 30 901820"
    assert format_phone("") == ""


@pytest.mark.parametrize(("typed", "stored"), [("GB", "GB"), (" gb ", "GB"), ("de", "DE")])
def test_countries_are_iso_codes_in_upper_case(typed, stored):
    assert normalise_country(typed) == stored


@pytest.mark.parametrize("typed", ["UK", "XX", "GBR", ""])
def test_what_is_not_an_iso_country_code_is_refused(typed):
    with pytest.raises(InvalidAddress, match="not an ISO 3166-1 country code") as error:
        normalise_country(typed)
    assert error.value.field == "country"


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("ls101rp", "GB", "LS10 1RP"),
        ("  sw1a   1aa ", "GB", "SW1A 1AA"),
        ("M1 1AE", "GB", "M1 1AE"),
        ("10115", "DE", "10115"),
        ("", "DE", ""),
    ],
)
def test_postcodes_are_tidied_and_uk_ones_spaced(typed, country, stored):
    assert normalise_postal_code(typed, country=country) == stored


@pytest.mark.parametrize(("typed", "reason"), [("12345", "not a UK postcode"), ("", "needs a postcode")])
def test_a_uk_address_needs_a_real_postcode(typed, reason):
    with pytest.raises(InvalidAddress, match=reason):
        normalise_postal_code(typed, country="GB")


def test_a_default_region_that_is_no_country_fails_the_system_check(settings):
    assert check_default_phone_region() == []
    settings.CRM_DEFAULT_PHONE_REGION = "UK"
    assert [error.id for error in check_default_phone_region()] == ["crm.E001"]
