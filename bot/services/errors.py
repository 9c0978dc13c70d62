"""Domain errors. The message is already in the user's language; the dispatcher replies with it."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(DomainError):
    """The actor may not do this. Logged (forged or replayed buttons end up here)."""


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Conflict(DomainError):
    pass


class TooManyAttempts(DomainError):
    pass
