from decimal import Decimal

import pytest
from django.template import Context, Template

from backoffice.money import quantize


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("2.675", "2.68"),  # half-up, where binary floats would give 2.67
        ("2.665", "2.67"),
        ("-2.675", "-2.68"),  # away from zero on negatives too (refunds)
        ("0.004", "0.00"),
        ("10", "10.00"),
    ],
)
def test_quantize_rounds_half_up_to_the_cent(amount, expected):
    assert quantize(Decimal(amount)) == Decimal(expected)


def test_quantize_refuses_floats():
    with pytest.raises(TypeError, match="float"):
        quantize(2.675)


def test_money_filter_groups_thousands_and_names_the_currency():
    rendered = Template("{{ amount|money:'EUR' }}|{{ missing|money }}").render(
        Context({"amount": Decimal("1234567.005")})
    )
    assert rendered == "1,234,567.01 EUR|"
