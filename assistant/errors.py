"""Exceptions whose messages are written for the user: what went wrong and what to do."""

from pathlib import Path


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


def unwritable_data_dir(folder: Path, exc: OSError) -> StoreUnavailable:
    """The error for a data folder that cannot be created or written to, naming the setting."""
    return StoreUnavailable(
        f"Cannot write to the data directory {folder} ({exc.strerror or exc}). "
        "Set BRIEFING_DATA_DIR to a writable folder."
    )


class ModelMismatch(BriefingError):
    """The collection was built with another embedding model than the one configured."""


class ConfigError(BriefingError):
    """A setting is missing or wrong."""

    exit_code = 2


class LLMError(BriefingError):
    """The OpenAI-compatible endpoint failed; the message names the setting to check."""


class StoreBusy(BriefingError):
    """Another process is writing to the embedded store (see assistant.locking)."""
