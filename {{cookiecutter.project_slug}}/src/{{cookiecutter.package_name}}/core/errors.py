"""Errors a user can cause and fix: the CLI prints their message, never a traceback."""


class UserError(Exception):
    """Bad input or setup: the message says what is wrong and what to do."""

    exit_code = 2
