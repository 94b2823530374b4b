from django.core.management.base import BaseCommand, CommandError

from backoffice.api.tokens import api_token_create
from backoffice.models import ApiToken


class Command(BaseCommand):
    help = (
        "Create a token for the JSON API (Authorization: Bearer <token>). The token is printed once, alone on "
        "the last line, and only its hash is stored; revoke it in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="who will use the token, e.g. “Shopify storefront”")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=ApiToken.Scope.values,
            help="what the token may do (repeat for several): orders, stock, tracking; default orders and stock",
        )

    def handle(self, *args, **options):
        try:
            token, secret = api_token_create(name=options["name"], scopes=options["scopes"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"API token “{token.name}” created (listed as {token.prefix}…, may use: {', '.join(token.scopes)}). "
            "It is not stored: copy it now."
        )
        # Alone on the last line, so that scripts can take it with `tail -n 1`.
        self.stdout.write(secret)
