from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """A model change without its migration would reach production as a broken deploy."""
    output = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations would write new migrations:\n{output.getvalue()} (exit {exit_.code})")
