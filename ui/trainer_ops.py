"""What the trainer tab does, without Gradio: login, reviewing uploads, reindexing in the background,
the corpus overview and exporting bad answers as candidate gold cases.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from assistant.config import Settings
from assistant.errors import AssistantError, ConfigError, CorpusError
from assistant.feedback import FeedbackStore, open_store
from assistant.pipeline import Assistant, index_corpus

log = logging.getLogger(__name__)
PBKDF2 = "pbkdf2_sha256"
KIND_LABELS = {"method": "Metodkort", "course": "Kursmaterial", "principle": "Principer", "case": "Fall"}


# --- login ---------------------------------------------------------------------------------------------


def hash_password(password: str, iterations: int = 240_000, salt: bytes | None = None) -> str:
    """A value for `trainer_password_hash`: pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{PBKDF2}${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when password matches a hash_password value; ConfigError when the stored value is malformed."""
    parts = stored.split("$")
    try:
        if len(parts) != 4 or parts[0] != PBKDF2:
            raise ValueError
        iterations, salt, expected = int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        raise ConfigError(
            "trainer_password_hash is not a pbkdf2_sha256$<iterations>$<salt>$<hash> value.",
            hint="Create one with: python -c \"from ui.trainer_ops import hash_password; print(hash_password('…'))\"",
        ) from None
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(digest, expected)


def trainer_configured(settings: Settings) -> bool:
    """True when a trainer user and a password (or hash) are set."""
    return bool(settings.trainer_user and (settings.trainer_password or settings.trainer_password_hash))


def check_login(settings: Settings, user: str, password: str) -> bool:
    """Compare the credentials with the settings in constant time; False when none are configured."""
    if not trainer_configured(settings):
        return False
    user_ok = hmac.compare_digest(user.strip().encode(), settings.trainer_user.encode())
    if settings.trainer_password_hash:
        password_ok = verify_password(password, settings.trainer_password_hash)
    else:
        password_ok = hmac.compare_digest(password.encode(), settings.trainer_password.encode())
    return user_ok and password_ok


# --- uploads -------------------------------------------------------------------------------------------

Status = Literal["ok", "draft", "refused"]


@dataclass(frozen=True)
class Reviewed:
    """One uploaded file after import and validation, before anything is added to the corpus."""

    name: str
    status: Status
    doc_id: str = ""
    kind: str = ""
    title: str = ""
    staged: str = ""  # the converted document, waiting in the staging folder
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain data for a gr.State."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reviewed:
        """Inverse of to_json."""
        return cls(**{**data, "problems": tuple(data["problems"]), "notes": tuple(data["notes"])})


def plain_problem(text: str) -> str:
    """An importer message without the CLI flags it names: '(--summary)' → '', '(--source-url; x)' → '(x)'."""
    text = re.sub(r"\(\s*--[a-z-]+\s*;\s*", "(", text)
    text = re.sub(r"\s*\(\s*--[a-z-]+\s*\)", "", text)
    return re.sub(r"\s*--[a-z-]+\b", "", text) if "--" in text else text


def review_uploads(
    files: Sequence[tuple[Path, str]], staging_root: Path, corpus_dirs: Sequence[Path]
) -> list[Reviewed]:
    """Import (path, original name) pairs into a fresh staging folder and validate each; corpus untouched."""
    from assistant.corpus import load_file
    from assistant.importers import ImportOverrides, import_file
    from ui.export import prune_old_dirs

    prune_old_dirs(staging_root, 24 * 3600)  # reviews nobody added within a day
    folder = staging_root / uuid.uuid4().hex
    out: list[Reviewed] = []
    for path, name in files:
        try:
            result = import_file(path, folder, ImportOverrides(filename=name), corpus_dirs=corpus_dirs)
        except CorpusError as exc:
            out.append(
                Reviewed(name, "refused", problems=(plain_problem(f"{exc.message} {exc.hint}".strip()),))
            )
            continue
        except Exception as exc:  # a converter choking on a damaged file must not take the others down
            log.exception("importing %s failed", name)
            problem = (
                f"Filen kunde inte läsas ({type(exc).__name__}: {exc}). Kontrollera att den inte är skadad."
            )
            out.append(Reviewed(name, "refused", problems=(problem,)))
            continue
        doc, problems = load_file(result.path)
        found = [plain_problem(p) for p in result.problems] or [
            f"{p.field}: {p.message}" if p.field else p.message for p in problems
        ]
        if doc is None or not result.complete:
            out.append(
                Reviewed(name, "draft", result.doc_id, "", "", str(result.path), tuple(found), result.notes)
            )
        else:
            out.append(Reviewed(name, "ok", doc.id, doc.kind, doc.title, str(result.path), (), result.notes))
    return out


def add_to_corpus(reviewed: Sequence[Reviewed], corpus_dir: Path) -> tuple[list[Path], list[str]]:
    """Move the valid staged documents into corpus_dir/<kind folder>; returns (added files, problems)."""
    from assistant.importers.common import KIND_FOLDERS, find_id

    added: list[Path] = []
    problems: list[str] = []
    for r in reviewed:
        if r.status != "ok":
            continue
        staged = Path(r.staged)
        if not staged.is_file():
            problems.append(f"{r.name}: den granskade filen finns inte längre; ladda upp den igen.")
            continue
        existing = find_id(r.doc_id, [corpus_dir])
        if existing is not None:
            problems.append(f"{r.name}: id {r.doc_id!r} används redan av {existing}.")
            continue
        target = corpus_dir / KIND_FOLDERS[r.kind] / f"{r.doc_id}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), target)
        added.append(target)
    return added, problems


# --- reindex -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobState:
    """Where a background reindex stands."""

    status: Literal["idle", "running", "done", "failed"] = "idle"
    step: str = ""
    done: int = 0
    total: int = 0
    message: str = ""


class ReindexJob:
    """Rebuilds the index in a background thread; the chat keeps answering from the open generation."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._lock = threading.Lock()
        self._state = JobState()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> JobState:
        """The latest state."""
        with self._lock:
            return self._state

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._state = JobState(**{**asdict(self._state), **changes})

    def start(self) -> bool:
        """Start a rebuild; False when one is already running."""
        with self._lock:
            if self._state.status == "running":
                return False
            self._state = JobState("running", "Läser korpusen", 0, 0, "")
        self._thread = threading.Thread(target=self._run, name="metodguiden-reindex", daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> JobState:
        """Block until the current rebuild ends (for tests and the CLI)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.state

    def _progress(self, step: str, done: int, total: int) -> None:
        self._set(step=step, done=done, total=total)

    def _run(self) -> None:
        a = self.assistant
        try:
            result, report = index_corpus(a.settings, a.embedder, progress=self._progress)
            a.refresh(wait=True)
        except AssistantError as exc:
            self._set(status="failed", message=f"Indexeringen misslyckades: {exc.message} {exc.hint}".strip())
            return
        except Exception as exc:  # keep the old index serving, and say what broke
            log.exception("reindex failed")
            self._set(status="failed", message=f"Indexeringen misslyckades ({type(exc).__name__}: {exc}).")
            return
        skipped = len({p.path for p in report.problems})
        note = f" {skipped} fil(er) med fel hoppades över." if skipped else ""
        self._set(
            status="done",
            step="Klart",
            done=self._state.total,
            message=(
                f"Indexet är uppdaterat: {result.documents} dokument, {result.chunks} avsnitt "
                f"({result.embedded} nya, {result.reused} återanvända) på {result.seconds:.1f} s.{note}"
            ),
        )


# --- overview and feedback export ---------------------------------------------------------------------


def corpus_overview(assistant: Assistant) -> dict[str, Any]:
    """What the open index holds: documents by kind and language, chunks, build time, sources, licences."""
    docs = assistant.index.documents
    manifest = assistant.index.manifest
    publishers: Counter[str] = Counter()
    for d in docs:
        for s in d.get("sources") or []:
            publishers[s.get("publisher") or urlparse(str(s.get("url", ""))).netloc or "okänd"] += 1
    return {
        "by_kind_lang": Counter((str(d.get("kind")), str(d.get("lang"))) for d in docs),
        "documents": len(docs),
        "chunks": len(assistant.index.chunks),
        "built_at": manifest.get("built_at"),
        "generation": manifest.get("generation"),
        "embedder": manifest.get("embedder"),
        "licences": Counter(str(d.get("licence") or "okänd") for d in docs),
        "publishers": publishers,
        "problems": list(manifest.get("problems", [])),
    }


def overview_markdown(ov: Mapping[str, Any]) -> str:
    """The corpus overview as Markdown tables."""
    langs = sorted({lang for _, lang in ov["by_kind_lang"]})
    built = str(ov["built_at"] or "okänt").replace("T", " ")[:16]
    lines = [
        f"**{ov['documents']} dokument, {ov['chunks']} avsnitt.** Senast indexerat {built} (UTC).",
        "",
        f"<small>Indexgeneration {ov['generation']}, inbäddningsmodell {ov['embedder']}.</small>",
        "",
        "| Typ | " + " | ".join(langs) + " | Totalt |",
        "|---" * (len(langs) + 2) + "|",
    ]
    for kind, name in KIND_LABELS.items():
        counts = [ov["by_kind_lang"].get((kind, lang), 0) for lang in langs]
        if sum(counts):
            lines.append(f"| {name} | " + " | ".join(str(c) for c in counts) + f" | {sum(counts)} |")
    lines += ["", "| Licens | Dokument |", "|---|---|"]
    lines += [f"| {lic} | {n} |" for lic, n in ov["licences"].most_common()]
    lines += ["", "| Utgivare av källor | Hänvisningar |", "|---|---|"]
    lines += [f"| {pub.replace('|', '/')} | {n} |" for pub, n in ov["publishers"].most_common(15)]
    if ov["problems"]:
        lines += [
            "",
            f"**{len(ov['problems'])} problem vid senaste indexeringen** (filerna hoppades över):",
            "",
        ]
        lines += [f"- `{p}`" for p in ov["problems"][:30]]
    return "\n".join(lines)


def known_gold_questions(gold_dir: Path) -> list[str]:
    """Questions already in the gold set (unreadable lines are skipped: this only avoids duplicates)."""
    out: list[str] = []
    for path in sorted(gold_dir.glob("*.jsonl")) if gold_dir.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(str(json.loads(line)["question"]))
            except (ValueError, KeyError, TypeError):
                continue
    return out


def export_candidates(store: FeedbackStore | Path, out_path: Path, gold_dir: Path) -> int:
    """Write thumbs-down answers as candidate gold cases (JSONL); returns how many."""
    from assistant.feedback_candidates import candidates, write_candidates

    store = store if isinstance(store, FeedbackStore) else open_store(store)
    items = candidates(store.rows(only_bad=True), known_gold_questions(gold_dir))
    return write_candidates(out_path, items)
