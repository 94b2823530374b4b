"""Demo data of the back office itself: one staff login per role."""

from django.contrib.auth.models import Group, User

from backoffice import roles

DEMO_PASSWORD = "demo"

# (username, first name, last name, role); managers also get the Django admin (is_staff).
DEMO_STAFF = (
    ("manager", "Maria", "Keller", roles.MANAGER),
    ("clerk", "Chris", "Olsen", roles.CLERK),
    ("warehouse", "Wes", "Hartmann", roles.WAREHOUSE),
    ("buyer", "Bea", "Novak", roles.BUYER),
    ("accountant", "Anil", "Sharma", roles.ACCOUNTANT),
)


def seed_staff(rng, options) -> str:
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ROLES)}
    for username, first_name, last_name, role in DEMO_STAFF:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@demo.backoffice.test",
                "is_staff": role == roles.MANAGER,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        user.groups.set([groups[role]])
    return f"{len(DEMO_STAFF)} staff logins (password '{DEMO_PASSWORD}')"


def demo_logins() -> list[tuple[str, str, str]]:
    return [(username, DEMO_PASSWORD, role) for username, _, _, role in DEMO_STAFF]
