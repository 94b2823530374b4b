"""The staff shell: sign-in, navigation by role, permissions on every page, admin for managers."""

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from backoffice import roles
from backoffice.navigation import SECTIONS, SECTIONS_BY_KEY
from tests.factories import PASSWORD

# logout answers only POST (405 to a GET, signed in or not).
PUBLIC_URL_NAMES = {"login", "logout", "healthz"}


def staff_urls():
    """Every named staff URL without arguments (admin excluded: it has its own login)."""
    names = []
    for pattern in get_resolver().url_patterns:
        named = isinstance(pattern, URLPattern) and pattern.name and pattern.name not in PUBLIC_URL_NAMES
        if named and not pattern.pattern.converters:
            names.append(pattern.name)
        assert isinstance(pattern, URLPattern | URLResolver)
    return names


@pytest.mark.django_db
@pytest.mark.parametrize("name", staff_urls())
def test_every_staff_page_requires_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_role_groups_exist_with_their_permissions():
    groups = {group.name: group for group in Group.objects.prefetch_related("permissions__content_type")}
    assert set(roles.ROLES) <= set(groups)
    perms = {
        name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for name, group in groups.items()
    }
    assert "backoffice.access_orders" in perms[roles.CLERK]
    assert "backoffice.access_purchasing" not in perms[roles.CLERK]
    assert "backoffice.access_fulfilment" in perms[roles.WAREHOUSE]
    assert "backoffice.access_reports" in perms[roles.ACCOUNTANT]
    assert {f"backoffice.access_{s.key}" for s in SECTIONS if s.key != "dashboard"} <= perms[roles.MANAGER]


@pytest.mark.django_db
def test_sign_in_lands_on_the_dashboard(client, staff_user):
    staff_user(roles.CLERK, username="chris")

    response = client.post(reverse("login"), {"username": "chris", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert b"Dashboard" in response.content
    assert b"Signed in as" in response.content


@pytest.mark.django_db
def test_navigation_shows_the_sections_of_the_role(client_as):
    page = client_as(roles.CLERK).get(reverse("dashboard")).content.decode()

    nav = page.split('<nav class="sections"')[1].split("</nav>")[0]
    assert ">Orders<" in nav and ">Customers<" in nav and ">Inventory<" in nav
    assert ">Purchasing<" not in nav and ">Reports<" not in nav


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "section", "status"),
    [
        (roles.CLERK, "orders", 200),
        (roles.CLERK, "purchasing", 403),
        (roles.WAREHOUSE, "fulfilment", 200),
        (roles.WAREHOUSE, "pricing", 403),
        (roles.BUYER, "purchasing", 200),
        (roles.BUYER, "customers", 403),
        (roles.ACCOUNTANT, "reports", 200),
        (roles.MANAGER, "reports", 200),
        (None, "orders", 403),
    ],
)
def test_sections_check_permissions(client_as, role, section, status):
    # A built section's first page, else its "not built yet" page.
    response = client_as(role).get(reverse(SECTIONS_BY_KEY[section].url_name))
    assert response.status_code == status


@pytest.mark.django_db
def test_unbuilt_section_says_so_plainly(client_as):
    response = client_as(roles.MANAGER).get(reverse("purchasing"))
    assert b"Not built yet" in response.content


@pytest.mark.django_db
def test_admin_is_for_managers_only(client, staff_user):
    manager = staff_user(roles.MANAGER, is_staff=True)
    clerk = staff_user(roles.CLERK)

    client.force_login(clerk)
    assert client.get("/admin/").status_code == 302  # to the admin login: not staff

    client.force_login(manager)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200


@pytest.mark.django_db
def test_a_manager_cannot_make_anyone_superuser(client, staff_user):
    manager = staff_user(roles.MANAGER, is_staff=True)
    clerk = staff_user(roles.CLERK)
    client.force_login(manager)

    page = client.get(f"/admin/auth/user/{clerk.pk}/change/").content.decode()

    assert 'name="is_superuser"' not in page
    assert 'name="groups"' in page


@pytest.mark.django_db
def test_logout_needs_a_post_and_ends_the_session(client_as):
    client = client_as(roles.CLERK)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302
