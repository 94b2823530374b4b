class OrderError(Exception):
    """Base of the errors the order services raise; the message is meant for the user."""


class InvalidTransition(OrderError):
    def __init__(self, current: str, target: str):
        self.current = current
        self.target = target
        super().__init__(f"An order that is {current.replace('_', ' ')} cannot become {target.replace('_', ' ')}.")


class InvalidOrder(OrderError):
    """The order as entered cannot be placed; `errors` maps field paths to messages."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))


class DuplicateOrder(OrderError):
    """The channel already sent an order with this external id."""

    def __init__(self, number: str):
        self.number = number
        super().__init__(f"This order was imported before as {number}.")
