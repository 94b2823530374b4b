"""Coupon limits hold when many orders are placed at once (real PostgreSQL, a connection per thread)."""

import pytest
from django.db import transaction

from pricing import services
from pricing.exceptions import CouponUnavailable
from pricing.models import Coupon, CouponRedemption
from tests.concurrency import run_together
from tests.pricing.factories import CouponFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_coupon_limited_to_three_uses_is_used_three_times():
    for round_ in range(10):
        coupon = CouponFactory(code=f"FLASH{round_}", usage_limit=3)

        def place(i, code=coupon.code, round_=round_):
            with transaction.atomic():
                return services.coupon_redeem(
                    codes=[code.lower()],
                    customer_id=None,
                    source_type="orders.order",
                    source_id=f"{round_}-{i}",
                )

        results = run_together(place)

        assert sum(isinstance(r, list) for r in results) == 3
        assert all(isinstance(r, list | CouponUnavailable) for r in results), results
        coupon.refresh_from_db()
        assert coupon.times_used == 3 == CouponRedemption.objects.filter(coupon=coupon).count()


def test_one_use_per_customer_holds_under_concurrency():
    coupon = CouponFactory(code="WELCOME", per_customer_limit=1)
    customer = CustomerFactory()

    results = run_together(
        lambda i: services.coupon_redeem(
            codes=["welcome"], customer_id=customer.pk, source_type="orders.order", source_id=str(i)
        ),
        count=10,
    )

    assert sum(isinstance(r, list) for r in results) == 1
    assert Coupon.objects.get(pk=coupon.pk).times_used == 1
