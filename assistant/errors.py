"""Exceptions whose messages are written for the user: what went wrong and what to do."""


class BriefingError(Exception):
    """Base class. The CLI turns these into one line on stderr and an exit code."""

    exit_code = 1


class BadInput(BriefingError):
    """The user's input (a question, a file, an option) cannot be used as given."""

    exit_code = 2


class NotIngested(BriefingError):
    """Nothing has been ingested into the collection yet."""


class StoreUnavailable(BriefingError):
    """The Chroma store cannot be opened or reached."""


class ModelMismatch(BriefingError):
    """The collection was built with another embedding model than the one configured."""


class ConfigError(BriefingError):
    """A setting is missing or wrong."""

    exit_code = 2


class LLMError(BriefingError):
    """The OpenAI-compatible endpoint failed; the message names the setting to check."""


class StoreBusy(BriefingError):
    """Another process is writing to the embedded store (see assistant.locking)."""
