"""What each method card says it fits, matched to a described need, statement by statement.

A card's "När passar det" bullets and its English `fits_en` lines state, in the users' own terms, the
situations the method is made for ("När en verksamhet vill ha löpande återkoppling från sina
användare …"). The index embeds each statement on its own (the corpus's embedding cache carries them
like passages) and keeps them in `needs.npz` beside the chunks. For a question, every card scores by
its closest statement; the advisor weighs that match (`fit.toml` [need]) and quotes the statement as a
reason, cited to the card's "När passar det" passage.

The "När passar det inte" bullets are embedded the same way, as statements against: a question closer to what a
card says it does not fit than to what it says it fits ("would a citizens' assembly do for choosing the benches?")
lowers that card and says why, quoting the statement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.chunking import split_sections
from assistant.embedding_cache import FetchVectors
from assistant.embeddings import Embedder
from assistant.sections import heading
from assistant.types import Lang, SourceDocument

NEEDS_FILE = "needs.npz"


@dataclass(frozen=True)
class NeedStatement:
    """One situation a method card says the method fits, in one language."""

    id: str
    doc_id: str
    lang: Lang
    text: str
    fits: bool = True  # False: a situation the card says the method does not fit

    @property
    def embed_text(self) -> str:
        """The statement alone: it is compared with a question, not with the card's title."""
        return self.text


def _bullets(text: str) -> list[str]:
    return [line[2:].strip() for line in text.splitlines() if line.startswith("- ") and line[2:].strip()]


def need_statements(documents: Iterable[SourceDocument]) -> list[NeedStatement]:
    """Every fit statement of every method card: the Swedish section's bullets, then `fits_en`; then the
    bullets of "När passar det inte" as statements against."""
    fits, not_fits = heading("kind.method", "fits"), heading("kind.method", "not_fits")
    out: list[NeedStatement] = []
    for doc in documents:
        if doc.kind != "method":
            continue
        sections = split_sections(doc.body)
        sv = [b for section, text in sections if section == fits for b in _bullets(text)]
        en = [str(x).strip() for x in doc.attributes.get("fits_en") or () if str(x).strip()]
        against = [b for section, text in sections if section == not_fits for b in _bullets(text)]
        for lang, texts, kind in (("sv", sv, "need"), ("en", en, "need"), ("sv", against, "unfit")):
            for text in dict.fromkeys(texts):
                digest = hashlib.sha256(f"{lang}\x1f{text}".encode()).hexdigest()[:16]
                out.append(
                    NeedStatement(f"{doc.id}#{kind}:{digest}", doc.id, lang, text, kind == "need")  # type: ignore[arg-type]
                )
    return out


@dataclass(frozen=True)
class NeedMatch:
    """How closely a card's fit statements meet the question."""

    card_id: str
    similarity: float  # cosine of the closest statement
    strength: float  # 0..1: the similarity placed between the field's `lo_rank`-th card and the best one
    statement: str  # the closest statement in the user's language (the other language when the card has none)
    against: float = (
        0.0  # cosine of the closest statement of "När passar det inte" (0 when the card has none)
    )
    against_statement: str = ""
    # cosine of the closest statement for the card in the language of its statements against (Swedish):
    # an English question sits closer to English statements, so only this one is a fair match for `against`
    peer: float = 0.0


class NeedIndex:
    """The embedded fit statements of one index generation."""

    def __init__(self, statements: Sequence[NeedStatement], vectors: np.ndarray) -> None:
        if len(statements) != len(vectors):
            raise ValueError("one vector per statement")
        self.statements = tuple(statements)
        matrix = np.asarray(vectors, dtype=np.float32)
        self.vectors = matrix.reshape(len(statements), -1) if len(statements) else matrix.reshape(0, 0)
        self.against_langs = frozenset(s.lang for s in self.statements if not s.fits)  # Swedish on every card

    def save(self, folder: Path) -> None:
        """Write needs.npz (float16 vectors) into a generation folder."""
        s = self.statements
        with (folder / NEEDS_FILE).open("wb") as f:
            np.savez(
                f,
                ids=np.array([x.id for x in s], dtype=str),
                docs=np.array([x.doc_id for x in s], dtype=str),
                langs=np.array([x.lang for x in s], dtype=str),
                texts=np.array([x.text for x in s], dtype=str),
                fits=np.array([x.fits for x in s], dtype=bool),
                vectors=self.vectors.astype(np.float16),
            )

    @classmethod
    def load(cls, folder: Path) -> NeedIndex:
        """The statements of a generation; empty for one built before statements were indexed."""
        path = folder / NEEDS_FILE
        if not path.exists():
            return cls((), np.zeros((0, 0), dtype=np.float32))
        with np.load(path, allow_pickle=False) as z:
            fits = z["fits"] if "fits" in z.files else np.ones(len(z["ids"]), dtype=bool)  # older generations
            rows = zip(z["ids"], z["docs"], z["langs"], z["texts"], fits, strict=True)
            statements = [
                NeedStatement(str(i), str(d), str(lang), str(t), bool(f))  # type: ignore[arg-type]
                for i, d, lang, t, f in rows
            ]
            return cls(statements, z["vectors"].astype(np.float32))

    def match(self, query: np.ndarray, lang: Lang, lo_rank: int) -> dict[str, NeedMatch]:
        """Each card's closest statement to a query vector, with its strength among all cards."""
        if not self.statements:
            return {}
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        q = q / (np.linalg.norm(q) or 1.0)
        sims = self.vectors @ q
        best: dict[str, int] = {}
        best_in_lang: dict[str, int] = {}
        against: dict[str, int] = {}
        peer: dict[str, float] = {}
        for i, s in enumerate(self.statements):
            if not s.fits:
                if s.doc_id not in against or sims[i] > sims[against[s.doc_id]]:
                    against[s.doc_id] = i
                continue
            if s.doc_id not in best or sims[i] > sims[best[s.doc_id]]:
                best[s.doc_id] = i
            if s.lang in self.against_langs:
                peer[s.doc_id] = max(peer.get(s.doc_id, -1.0), float(sims[i]))
            if s.lang == lang and (s.doc_id not in best_in_lang or sims[i] > sims[best_in_lang[s.doc_id]]):
                best_in_lang[s.doc_id] = i
        ranked = sorted((float(sims[i]) for i in best.values()), reverse=True)
        top, lo = ranked[0], ranked[min(lo_rank, len(ranked) - 1)]
        span = top - lo
        out = {}
        for card, i in best.items():
            sim = float(sims[i])
            strength = max(0.0, (sim - lo) / span) if span > 0 else 0.0
            shown = self.statements[best_in_lang.get(card, i)].text
            no = against.get(card)
            out[card] = NeedMatch(
                card,
                sim,
                strength,
                shown,
                float(sims[no]) if no is not None else 0.0,
                self.statements[no].text if no is not None else "",
                peer.get(card, sim),
            )
        return out


def embed_needs(
    embedder: Embedder,
    needs: Sequence[NeedStatement],
    known: dict[str, np.ndarray],
    batch: int,
    progress: Callable[[str, int, int], None],
) -> NeedIndex:
    """The cards' fit statements with their vectors: known ones reused, the rest embedded now."""
    todo = sorted((n for n in needs if n.id not in known), key=lambda n: len(n.text))
    vectors = dict(known)
    progress("Bäddar in när metoderna passar", 0, len(todo))
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        for n, v in zip(part, embedder.embed([n.embed_text for n in part], "document"), strict=True):
            vectors[n.id] = np.asarray(v, dtype=np.float32)
        progress("Bäddar in när metoderna passar", min(start + batch, len(todo)), len(todo))
    dim = embedder.dim
    matrix = np.stack([vectors[n.id] for n in needs]) if needs else np.zeros((0, dim), dtype=np.float32)
    return NeedIndex(needs, matrix)


def with_needs(chunk_vectors: FetchVectors, needs: NeedIndex) -> FetchVectors:
    """Vectors by id from the chunk store, or from the fit statements for their ids."""
    by_id = {s.id: v for s, v in zip(needs.statements, needs.vectors, strict=True)}

    def fetch(ids: Sequence[str]) -> dict[str, np.ndarray]:
        out = {i: by_id[i] for i in ids if i in by_id}
        rest = [i for i in ids if i not in by_id]
        return {**chunk_vectors(rest), **out} if rest else out

    return fetch
