"""The real CLI refuses bad questions at once: before any model or index is opened, in one clear message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests._support_cli import CLI, clean_env

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The CLI on an empty data dir with no models: anything that loads a model or an index fails loudly."""
    env = clean_env(METODGUIDEN_MODELS_DIR=str(tmp_path / "no-models"), LANG="C.UTF-8")
    cmd = [*CLI, "--data-dir", str(tmp_path / "data"), "--embedder", "gemma", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, input=stdin, timeout=60, check=False)


def _assert_refused_before_loading(proc: subprocess.CompletedProcess[bytes], expected: str) -> None:
    text = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, text
    assert expected in text and "Traceback" not in text
    # Gemma is not installed and there is no index: had either been opened, that would be the error.
    assert "not installed" not in text and "index" not in text.lower()
    assert len(text.strip().splitlines()) == 2  # 'Fel: …' and 'Tips: …'


@pytest.mark.parametrize("command", ["ask", "search"])
def test_invalid_utf8_in_argv_is_one_clear_message(tmp_path: Path, command: str) -> None:
    proc = _run(tmp_path, command, "fr\udce5ga om \udcffunga")  # the bytes 0xE5 0xFF: Latin-1, not UTF-8
    _assert_refused_before_loading(proc, "giltig UTF-8-text")
    assert "LANG=" in proc.stderr.decode()


@pytest.mark.parametrize(
    ("question", "expected"), [("", "Frågan är tom"), ("   \t ", "Frågan är tom"), ("x" * 2001, "för lång")]
)
def test_empty_or_overlong_question_is_refused_before_any_model_loads(
    tmp_path: Path, question: str, expected: str
) -> None:
    _assert_refused_before_loading(_run(tmp_path, "ask", question), expected)


def test_chat_reports_an_undecodable_line_and_goes_on(tmp_path: Path, models_dir: Path) -> None:
    from tests.conftest import CORPUS, SMALL_CORPUS

    corpus = tmp_path / "corpus"
    for rel in SMALL_CORPUS[:3]:
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_bytes((CORPUS / rel).read_bytes())
    env = clean_env(METODGUIDEN_MODELS_DIR=str(models_dir), LANG="C.UTF-8")
    base = [*CLI, "--data-dir", str(tmp_path / "data"), "--corpus", str(corpus), "--embedder", "fake64"]
    built = subprocess.run([*base, "index"], cwd=ROOT, env=env, capture_output=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr.decode()
    cmd = [*base, "chat"]
    stdin = "Hur når vi unga i en park?\n".encode() + b"fr\xe5ga \xff\n\n"
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, input=stdin, timeout=120, check=False)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "giltig UTF-8-text" in err and len(proc.stdout) > 100
