"""The feedback store: officials' ratings of answers, in SQLite (default) or PostgreSQL (several machines).

This module owns the schema and every read and write; the UI and the evaluation harness use
`open_store()`. Each write is its own committed transaction (SQLite in WAL mode), so a rating
confirmed on screen survives an abrupt stop, and two servers writing at once lose nothing.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from assistant.config import Settings
from assistant.errors import AssistantError

COLUMNS = ("id", "created_at", "question", "answer_json", "rating", "comment", "config")
_TABLE = """
CREATE TABLE IF NOT EXISTS feedback (
    id {id_type},
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT ''
)"""
_INDEX = "CREATE INDEX IF NOT EXISTS feedback_rating ON feedback (rating, created_at)"
_PG_SCHEMA_LOCK = 7_311_020_611  # pg_advisory_xact_lock key: one schema creation at a time
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class FeedbackError(AssistantError):
    """The feedback database cannot be read or written."""


def _row(values: tuple[Any, ...]) -> dict[str, Any]:
    """A stored row with the answer JSON parsed (unreadable JSON is kept as the answer text)."""
    fid, created, question, answer_json, rating, comment, config = values
    try:
        answer = json.loads(answer_json)
    except json.JSONDecodeError:
        answer = {"answer": answer_json}
    return {
        "id": int(fid),
        "created_at": created,
        "question": question,
        "answer": answer,
        "rating": int(rating),
        "comment": comment,
        "config": config,
    }


class FeedbackStore(ABC):
    """Ratings (+1 good, -1 bad) of answers in the `ask --json` contract, with comments."""

    placeholder = "?"

    @abstractmethod
    def _connection(self) -> Any:
        """A context manager giving a DB-API connection with the schema in place; commits on success."""

    @abstractmethod
    def exists(self) -> bool:
        """True when the database has been created (reading a store that does not exist gives no rows)."""

    @abstractmethod
    def describe(self) -> str:
        """Where the ratings are kept, for messages (never a password)."""

    def _sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)

    def add(
        self,
        question: str,
        answer: dict[str, Any],
        rating: int,
        comment: str = "",
        config: str = "",
        now: datetime | None = None,
    ) -> int:
        """Store one rating; returns its id."""
        if rating not in (-1, 1):
            raise FeedbackError(f"A rating must be +1 or -1, got {rating!r}.")
        if not question.strip():
            raise FeedbackError("Feedback needs the question that was asked.")
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        values = (
            stamp,
            question.strip(),
            json.dumps(answer, ensure_ascii=False),
            rating,
            comment.strip(),
            config,
        )
        with self._connection() as conn:
            cur = conn.execute(
                self._sql(
                    "INSERT INTO feedback (created_at, question, answer_json, rating, comment, config)"
                    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"
                ),
                values,
            )
            return int(cur.fetchone()[0])

    def set_comment(self, feedback_id: int, comment: str) -> None:
        """Add or replace the comment of a stored rating."""
        with self._connection() as conn:
            cur = conn.execute(
                self._sql("UPDATE feedback SET comment = ? WHERE id = ?"), (comment.strip(), feedback_id)
            )
            if cur.rowcount != 1:
                raise FeedbackError(
                    f"No feedback row with id {feedback_id!r}.", hint="Rate the answer first."
                )

    def rows(
        self,
        *,
        only_bad: bool = False,
        since: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Stored ratings with the answer JSON parsed; oldest first unless newest_first."""
        if not self.exists():
            return []
        where: list[str] = []
        args: list[Any] = []
        if only_bad:
            where.append("rating = -1")
        if since:
            where.append("created_at >= ?")
            args.append(since)
        query = f"SELECT {', '.join(COLUMNS)} FROM feedback"
        query += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at, id"
        if newest_first:
            query = query.replace("created_at, id", "created_at DESC, id DESC")
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        with self._connection() as conn:
            return [_row(tuple(r)) for r in conn.execute(self._sql(query), tuple(args)).fetchall()]


class SqliteStore(FeedbackStore):
    """One SQLite file in WAL mode; writers wait for each other up to `busy_timeout_s`.

    Every transaction is BEGIN IMMEDIATE: it takes the write lock up front, where SQLite's busy
    handler waits for the other writer. A deferred transaction can instead fail at once with
    "database is locked" when two processes race, which CI saw under load.
    """

    _ready: ClassVar[set[Path]] = set()
    _ready_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s

    def exists(self) -> bool:
        """True when the file exists."""
        return self.path.exists()

    def describe(self) -> str:
        """The file."""
        return str(self.path)

    def _broken(self, exc: sqlite3.Error) -> FeedbackError:
        return FeedbackError(
            f"The feedback database {self.path} cannot be used: {exc}.",
            hint="Check the file (a copy of it, moved aside, lets the server start a new one).",
        )

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise FeedbackError(
                f"Cannot open the feedback database {self.path}: {exc}.", "Check the file."
            ) from None
        with closing(conn):
            try:
                self._prepare(conn)
                self._begin(conn)
            except sqlite3.DatabaseError as exc:
                raise self._broken(exc) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError):
                    raise self._broken(exc) from None
                raise

    def _begin(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, retried while another process holds a lock the busy handler does not wait for."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """The table, its index and WAL mode, once per file and process (WAL persists in the file)."""
        key = self.path.resolve()
        with self._ready_lock:
            if key in self._ready and self.path.exists():
                return
            deadline = time.monotonic() + self.busy_timeout_s
            while True:
                try:
                    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                    conn.execute(_TABLE.format(id_type="INTEGER PRIMARY KEY AUTOINCREMENT"))
                    conn.execute(_INDEX)
                    break
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            if str(mode).lower() != "wal":
                raise FeedbackError(
                    f"The feedback database {self.path} could not switch to WAL (got {mode!r})."
                )
            self._ready.add(key)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class PostgresStore(FeedbackStore):
    """A PostgreSQL database (psycopg 3), shared by instances on several machines."""

    placeholder = "%s"

    def __init__(self, url: str, connect_timeout_s: int = 10) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self._schema_done = False

    def exists(self) -> bool:
        """Always true: the table is created on first use."""
        return True

    def describe(self) -> str:
        """The URL without its password."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        user = f"{parts.username}@" if parts.username else ""
        return f"postgresql://{user}{host}{f':{parts.port}' if parts.port else ''}{parts.path}"

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            import psycopg
        except ImportError:
            raise FeedbackError(
                "PostgreSQL support (psycopg) is not installed.", hint="Run `make setup` (requirements.lock)."
            ) from None
        try:
            conn = psycopg.connect(self.url, connect_timeout=self.connect_timeout_s)
        except psycopg.Error as exc:
            raise FeedbackError(
                f"Cannot connect to the feedback database {self.describe()}: {str(exc).strip()}.",
                hint="Check METODGUIDEN_FEEDBACK_URL and that PostgreSQL is running.",
            ) from None
        with conn:  # commits on success, rolls back on error, then closes
            try:
                if not self._schema_done:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_SCHEMA_LOCK,))
                    conn.execute(_TABLE.format(id_type="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"))
                    conn.execute(_INDEX)
                    conn.commit()
                    self._schema_done = True
                yield conn
            except psycopg.Error as exc:
                raise FeedbackError(
                    f"The feedback database {self.describe()} cannot be used: {str(exc).strip()}."
                ) from None


def open_store(target: str | Path) -> FeedbackStore:
    """A store for a postgresql:// URL or a SQLite file path (one per target, so the schema is set up once)."""
    return _store(str(target))


@functools.lru_cache(maxsize=64)
def _store(target: str) -> FeedbackStore:
    return PostgresStore(target) if target.startswith(POSTGRES_SCHEMES) else SqliteStore(Path(target))


def store_for(settings: Settings) -> FeedbackStore:
    """The store the settings name: `feedback_url` (PostgreSQL) when set, else the SQLite `feedback_path`."""
    return open_store(settings.feedback_url or settings.feedback_path)
