class CrmError(Exception):
    """Base of every error the crm services raise; the message is meant for the user.

    `field` names the input the error is about ("email", "phone", ...) when there is one, so that a
    form can show the message beside that field; None for the request as a whole.
    """

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        if field is not None:
            self.field = field


class InvalidEmail(CrmError):
    field = "email"


class InvalidPhone(CrmError):
    field = "phone"


class InvalidCustomer(CrmError):
    """The customer's data breaks a rule (a business without a company name, a negative credit limit)."""


class InvalidAddress(CrmError):
    """An address is incomplete or malformed (unknown country, a postcode that is not one)."""


class DuplicateEmail(CrmError):
    """Another customer already has this e-mail address; `existing` is that customer."""

    field = "email"

    def __init__(self, email: str, existing):
        self.email = email
        self.existing = existing
        super().__init__(f"{email} already belongs to {existing} (customer no. {existing.pk}).")
