"""The feedback store behind one interface: SQLite (default) and a real PostgreSQL, each with two writers at once."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.feedback import FeedbackError, FeedbackStore, PostgresStore, SqliteStore, open_store, store_for
from tests._support_postgres import postgres_bin, throwaway_cluster

ROOT = Path(__file__).resolve().parents[2]
ANSWER = {
    "answer": "Prova en fokusgrupp [1].",
    "intent": "method_fit",
    "citations": [{"doc_id": "fokusgrupp"}],
}


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL for this module, started from Debian's binaries and removed afterwards."""
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does this)")
    base = Path(tempfile.mkdtemp(prefix="mg-pg-", dir="/tmp"))  # outside root's 0700 pytest folder
    try:
        with throwaway_cluster(base) as url:
            yield url
    finally:
        shutil.rmtree(base, ignore_errors=True)


_db_counter = iter(range(1000))


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store of each kind: a SQLite file, or a new database in the cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "fb" / "feedback.sqlite3")
    import psycopg

    url: str = request.getfixturevalue("postgres_url")
    name = f"fb{next(_db_counter)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def test_open_store_picks_the_backend_from_the_target(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path / "f.sqlite3"), SqliteStore)
    assert isinstance(open_store("postgresql://u:secret@db.example:5432/mg"), PostgresStore)
    assert open_store("postgres://u:secret@db.example/mg").describe() == "postgresql://u@db.example/mg"
    settings = Settings(data_dir=tmp_path, feedback_url="postgresql://u:pw@h/mg")
    assert isinstance(store_for(settings), PostgresStore) and "pw" not in repr(settings)
    assert isinstance(store_for(Settings(data_dir=tmp_path)), SqliteStore)


def test_ratings_comments_and_filters(target: str) -> None:
    store = open_store(target)
    early = datetime(2026, 1, 5, tzinfo=UTC)
    first = store.add("Vad passar för unga?", ANSWER, 1, config="hybrid-gemma", now=early)
    second = store.add(
        "  Hur når vi äldre? ", ANSWER, -1, "för allmänt", now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    third = store.add("Vad kostar ett medborgarråd?", {"answer": "ü ☃"}, -1)
    assert first < second < third
    store.set_comment(first, " bra svar ")
    rows = store.rows()
    assert [r["id"] for r in rows] == [first, second, third]
    assert rows[0] == {
        "id": first,
        "created_at": "2026-01-05T00:00:00+00:00",
        "question": "Vad passar för unga?",
        "answer": ANSWER,
        "rating": 1,
        "comment": "bra svar",
        "config": "hybrid-gemma",
    }
    assert rows[1]["question"] == "Hur når vi äldre?" and rows[2]["answer"] == {"answer": "ü ☃"}
    assert [r["id"] for r in store.rows(only_bad=True)] == [second, third]
    assert [r["id"] for r in store.rows(only_bad=True, since="2026-02-01")] == [second, third]
    assert [r["id"] for r in store.rows(newest_first=True, limit=2)] == [third, second]
    with pytest.raises(FeedbackError, match="No feedback row"):
        store.set_comment(9999, "x")
    with pytest.raises(FeedbackError, match="must be"):
        store.add("Fråga?", ANSWER, 0)


def test_the_ui_and_the_harness_share_the_store(target: str, tmp_path: Path) -> None:
    from evals.feedback import bad_answers, record_feedback
    from ui.feedback import list_feedback, save_rating, set_comment

    settings = (
        Settings(data_dir=tmp_path, feedback_url=target)
        if target.startswith("postgresql")
        else Settings(data_dir=tmp_path, feedback_db=Path(target))
    )
    fid = save_rating(settings, "Fråga från chatten?", ANSWER, -1)
    set_comment(settings, fid, "fel metod")
    record_feedback(target, "Fråga från skörden?", ANSWER, 1)
    assert [r["question"] for r in list_feedback(settings)] == ["Fråga från skörden?", "Fråga från chatten?"]
    assert [(r["id"], r["comment"]) for r in bad_answers(target)] == [(fid, "fel metod")]


_WRITER = """
import sys
from assistant.feedback import open_store
store = open_store(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.add(f"{sys.argv[2]} fråga {i}?", {"answer": "svar"}, 1 if i % 2 else -1)
"""


def test_two_writers_at_once_lose_nothing(target: str) -> None:
    open_store(target).rows()  # the table exists before the race (each writer would also create it)
    n = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, target, name, str(n)], cwd=ROOT, stderr=subprocess.PIPE
        )
        for name in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()
    rows = open_store(target).rows()
    questions = {r["question"] for r in rows}
    assert len(rows) == 2 * n == len({r["id"] for r in rows})
    assert questions == {f"{w} fråga {i}?" for w in "ab" for i in range(n)}


def test_a_fresh_postgres_database_is_created_by_two_first_writers(postgres_url: str) -> None:
    """Both servers may start on an empty database: the schema is created once, no writer fails."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE fbrace")
    target = postgres_url.rsplit("/", 1)[0] + "/fbrace"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, target, name, "5"], cwd=ROOT, stderr=subprocess.PIPE)
        for name in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert len(open_store(target).rows()) == 10


def test_unreachable_or_broken_stores_give_a_clear_error(tmp_path: Path) -> None:
    closed = "postgresql://mg:hemligt@127.0.0.1:9/mg"  # port 9 (discard): nothing listens
    with pytest.raises(FeedbackError) as caught:
        open_store(closed).add("Fråga?", ANSWER, 1)
    assert "hemligt" not in caught.value.message and "127.0.0.1:9" in caught.value.message
    assert "METODGUIDEN_FEEDBACK_URL" in caught.value.hint
    garbage = tmp_path / "trasig.sqlite3"
    garbage.write_bytes(b"inte en databas" * 100)
    with pytest.raises(FeedbackError, match="cannot be used"):
        open_store(garbage).rows()
    assert open_store(tmp_path / "finns-inte.sqlite3").rows() == []


def test_the_store_is_the_only_writer_of_the_schema() -> None:
    """ui/ and evals/ hold no SQL of their own: every read and write goes through assistant.feedback."""
    for path in [*(ROOT / "ui").glob("*.py"), *(ROOT / "evals").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "sqlite3" not in text and "INSERT INTO" not in text and "FROM feedback" not in text, path
    assert issubclass(SqliteStore, FeedbackStore) and issubclass(PostgresStore, FeedbackStore)


def test_eval_candidates_reads_either_store_through_the_cli(
    target: str, tmp_path: Path, models_dir: Path
) -> None:
    from tests._support_cli import run_cli

    store = open_store(target)
    store.add("Vilken metod når pensionärer?", ANSWER, -1, "fel metod")
    store.add("Hur gör man en trygghetsvandring?", ANSWER, 1)
    out = tmp_path / "kandidater.jsonl"
    proc = run_cli(
        "eval", "candidates", "--feedback", target, "--out", out, "--gold", tmp_path / "no-gold",
        models_dir=models_dir, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and "pensionärer" in lines[0] and "fel metod" in lines[0]
