from django.core.management.base import BaseCommand, CommandError

from backoffice.api.tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Create a token for the JSON API (Authorization: Bearer <token>). The token is printed once, alone on "
        "the last line, and only its hash is stored; revoke it in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="who will use the token, e.g. “Shopify storefront”")

    def handle(self, *args, **options):
        try:
            token, secret = api_token_create(name=options["name"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"API token “{token.name}” created (listed as {token.prefix}…). It is not stored: copy it now."
        )
        # Alone on the last line, so that scripts can take it with `tail -n 1`.
        self.stdout.write(secret)
