"""Working days: parcels are handed over and delivered Monday to Friday, except the holidays listed
in the SHIPPING_HOLIDAYS setting."""

from datetime import date, timedelta

from django.conf import settings


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in settings.SHIPPING_HOLIDAYS


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    """The working day `days` working days after `start` (which counts from the next working day
    when it is not one itself): what a parcel handed over on `start` with `days` of transit arrives on."""
    day = next_working_day(start)
    for _ in range(days):
        day = next_working_day(day + timedelta(days=1))
    return day
