"""Failures a handler can signal."""


class MalformedEvent(ValueError):
    """A correctly signed event whose payload cannot be applied; retrying cannot help."""
