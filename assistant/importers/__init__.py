"""Importers for trainers: files (Markdown, text, PDF, Word, saved web pages) and Participedia's CSV export.

The UI and the CLI call these two functions; both raise `CorpusError` with a Swedish message and hint
when an input is refused, and write nothing outside the folder they are given.
"""

from assistant.importers.common import ImportOverrides, ImportResult
from assistant.importers.files import SUPPORTED_EXTENSIONS, import_file
from assistant.importers.participedia import ParticipediaReport, RowIssue, import_participedia

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "ImportOverrides",
    "ImportResult",
    "ParticipediaReport",
    "RowIssue",
    "import_file",
    "import_participedia",
]
