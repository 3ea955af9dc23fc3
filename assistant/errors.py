"""One error hierarchy for the whole package.

    AssistantError
    ├── ConfigError            bad setting value
    ├── CorpusError            a corpus file could not be read or validated
    ├── IndexError_            the index is broken or cannot be written
    │   ├── IndexNotBuiltError no index yet: run `metodguiden index`
    │   └── IndexBusyError     another process is building the index
    ├── ModelUnavailableError  a model is not installed: run `metodguiden models install`
    ├── ModelInstallError      downloading or verifying a model failed
    ├── QuestionError          an empty or over-long question
    └── BackendError           an external service (Chroma server, LLM endpoint) failed

Every error carries a `hint`: the next step for the user. Only the CLI and the UI
turn these into user text.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the package raises on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(AssistantError):
    """A setting has a value that cannot work."""


class CorpusError(AssistantError):
    """A corpus document is unreadable or invalid."""


class IndexError_(AssistantError):  # avoids shadowing the builtin IndexError
    """The index is broken or cannot be written."""


class IndexNotBuiltError(IndexError_):
    """No index has been built yet."""


class IndexBusyError(IndexError_):
    """Another process holds the index build lock."""


class ModelUnavailableError(AssistantError):
    """A model the settings ask for is not installed."""


class ModelInstallError(AssistantError):
    """Downloading or verifying a model failed."""


class QuestionError(AssistantError):
    """The question cannot be answered as given (empty, too long)."""


class BackendError(AssistantError):
    """An external service failed."""
