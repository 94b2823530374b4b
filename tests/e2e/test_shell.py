"""In a real headless Chromium: sign in, see the dashboard and the role's sections, sign out."""

import pytest

from backoffice import roles
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_clerk_signs_in_and_sees_the_dashboard(page, live_server, staff_user):
    staff_user(roles.CLERK, username="chris", first_name="Chris", last_name="Olsen")

    page.goto(f"{live_server.url}/orders/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("chris")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/orders/")
    assert page.get_by_role("heading", name="Orders").is_visible()
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("Chris Olsen").first.is_visible()
    nav = page.get_by_role("navigation", name="Sections")
    assert nav.get_by_role("link", name="Orders").is_visible()
    assert nav.get_by_role("link", name="Purchasing").count() == 0

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")


def test_htmx_loads_without_breaking_the_content_security_policy(page, live_server, staff_user):
    staff_user(roles.MANAGER, username="maria")
    violations = []
    page.on("console", lambda message: message.type == "error" and violations.append(message.text))

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    assert page.evaluate("typeof window.htmx") == "object"
    assert violations == []
