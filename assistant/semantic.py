"""The semantic reader: scope, intent, purposes, target groups, preconditions and conflict from the
question's embedding, by small linear models fitted on the lexicon's exemplars.

The exemplars are embedded once per lexicon version and embedder, fitted, and kept on disk
(`<data dir>/reader/`); reading a question is then a matrix product on the vector retrieval computes
anyway.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant.embeddings import Embedder
from assistant.lexicon import LabelledQuestion, Lexicon, lexicon
from assistant.vocab import CARD_FIELDS

log = logging.getLogger(__name__)

# Dimensions the reader learns. Single: exactly one value (softmax); otherwise each value on its own.
SINGLE: tuple[str, ...] = ("scope", "intents")
MULTI: tuple[str, ...] = ("purposes", "target_groups", "preconditions", "polarisation")
FITTED = Path(__file__).parent / "lexicon" / "fitted"  # readers shipped with the code, for the default model
_VERSION = "8"  # bump when the training recipe changes: the cache file name carries it
NEAREST = "_nearest"  # suffix of a dimension read by nearest exemplar (Reading: 'scope_nearest')
SIMILAR = "methods"  # the methods that similar labelled questions expect (Reading: 'methods')
# Labelled questions that vote: a question's methods get the similarity of each of its K nearest labelled
# questions that expects them, scaled so that the best-voted method has 1. K chosen leave-one-set-out over
# the held-out sets h2-h6 (3, 5 and 7 tried; 5 ranked best, see assistant/lexicon/README.md).
SIMILAR_K = 5
UNLABELLED = "?"  # a text that says nothing of a dimension: neither one of its values nor a negative
PRECONDITION_CASE = "already_decided"  # what a labelled precondition case teaches (see training_set)
_C = 4.0  # inverse regularisation of the logistic regressions, chosen on evals/gold
# … per dimension where another was measured better; scope's: out-of-scope subjects are many small islands that a smoother boundary partly swallows
# (leave-one-set-out over h2-h9: out-of-scope refused 200 -> 205 of 218, in-scope refused 1 -> 0 of 676).
_C_BY_DIMENSION = {"scope": 16.0}


@dataclass(frozen=True)
class Model:
    """One fitted dimension: value keys, weights (values × dim) and intercepts.

    A `nearest` model keeps the exemplars themselves instead: `weights` are their vectors, `bias` the
    index of each one's value, and a value's score is its nearest exemplar's cosine similarity. A `vote`
    model keeps labelled questions: `weights` their vectors, `bias` a question × value matrix of 0/1, and
    its `vote` nearest questions vote for their values with their similarity.
    """

    keys: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    single: bool
    nearest: bool = False
    vote: int = 0

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        """Value → probability (a similarity for a `nearest` model, a share of the best vote for a
        `vote` model) for one unit-length query vector."""
        if self.vote:
            sims = np.asarray(self.weights, dtype=np.float32) @ vector
            top = np.argsort(-sims)[: self.vote]
            votes = np.clip(sims[top], 0.0, None) @ self.bias[top].astype(np.float32)
            best = float(votes.max(initial=0.0))
            return (
                {k: float(v) / best for k, v in zip(self.keys, votes, strict=True) if v > 0} if best else {}
            )
        if self.nearest:
            sims = np.asarray(self.weights, dtype=np.float32) @ vector
            return {k: float(sims[self.bias == i].max(initial=-1.0)) for i, k in enumerate(self.keys)}
        z = self.weights @ vector + self.bias
        if self.single:
            e = np.exp(z - z.max())
            p = e / e.sum()
        else:
            p = 1.0 / (1.0 + np.exp(-z))
        return {k: float(v) for k, v in zip(self.keys, p, strict=True)}


@dataclass(frozen=True)
class Reading:
    """Probabilities per dimension and value for one question."""

    scores: Mapping[str, Mapping[str, float]]

    def get(self, dimension: str, value: str) -> float:
        """The probability of one value (0 when the dimension was not read)."""
        return self.scores.get(dimension, {}).get(value, 0.0)

    def best(self, dimension: str) -> tuple[str, float]:
        """The most probable value of a dimension and its probability."""
        table = self.scores.get(dimension, {})
        if not table:
            return "", 0.0
        key = max(table, key=lambda k: table[k])
        return key, table[key]

    def above(self, dimension: str, threshold: float) -> tuple[str, ...]:
        """Values at or above a probability, most probable first."""
        table = self.scores.get(dimension, {})
        return tuple(k for k in sorted(table, key=lambda k: -table[k]) if table[k] >= threshold)


def training_set(lex: Lexicon) -> tuple[list[str], dict[str, list[str]]]:
    """Every exemplar once, and per learnt dimension its label per exemplar ('' = none of its values).

    Scope learns from every exemplar: all but scope 'out' are phrasings about participation. Intent
    also learns method fit from the purposes' exemplars, which describe needs. Preconditions also learn
    from composed questions (see `composed`): in a real question the precondition is one clause beside
    the topic, and the topic must not drown it. The lexicon's labelled questions (whole questions from
    evaluation sets after their first run) teach scope and intent only.
    """
    texts: list[str] = []
    owner: list[tuple[str, str, str]] = []  # (dimension, value, carrier intent of a composed text)
    questions: dict[int, LabelledQuestion] = {}  # rows of whole questions: labelled for scope and intent
    for name, dim in lex.dimensions.items():
        for value in dim.values:
            for text in value.exemplars:
                texts.append(text)
                owner.append((name, value.key, ""))
    for text, dim_name, key, intent in composed(lex):
        texts.append(text)
        owner.append((dim_name, key, intent))
    for question in lex.questions:
        questions[len(texts)] = question
        texts.append(question.text)
        owner.append(("scope", question.scope, question.intent))
    labels: dict[str, list[str]] = {
        SIMILAR: ["|".join(questions[row].methods) if row in questions else "" for row in range(len(texts))]
    }
    for name in SINGLE + MULTI:
        column = []
        for row, (dim_name, key, intent) in enumerate(owner):
            if row in questions and name not in SINGLE:
                # A real question may state a purpose or a group: unlabelled there. For the preconditions it
                # is a negative, unless its set marks it as a precondition case: then it counts as a decision
                # taken. The sets do not say which precondition; all of them expect the advice to inform,
                # which is what 'already_decided' gives (leave-one-set-out over h2-h7: recall at 0.9 went
                # 7 -> 39 of 77 cases, false alarms stayed 2 of 589, against leaving them unlabelled).
                if name != "preconditions":
                    column.append(UNLABELLED)
                else:
                    column.append(PRECONDITION_CASE if questions[row].precondition else "")
            elif dim_name == name:
                column.append(key)
            elif name == "scope":
                column.append("in")
            elif name == "intents" and (intent or dim_name == "purposes"):
                column.append(intent or "method_fit")
            else:
                column.append("")
        labels[name] = column
    return texts, labels


COMPOSE_CARRIERS = 3  # questions each precondition exemplar is joined with
# Dimensions whose exemplars state context that is no precondition (a need, a group, resources, a level):
# the card fields, except the two that describe a method rather than the official's situation.
NEGATIVE_CONTEXT: tuple[str, ...] = tuple(f for f in CARD_FIELDS if f not in ("influence", "recruitment"))


def composed(lex: Lexicon) -> list[tuple[str, str, str, str]]:
    """(text, dimension, value, carrier intent): statements joined with questions, labelled as the statement.

    Each precondition exemplar is joined with a few method-advice and process questions of its
    language, and the first exemplars of each context value (`NEGATIVE_CONTEXT`) with one such
    question: for the preconditions these are negatives (a second clause that states a need, a group
    or resources is no precondition), and they keep their own value (a purpose stays that purpose).
    Deterministic, so the fitted reader is too.
    """
    carriers: dict[str, list[tuple[str, str]]] = {"sv": [], "en": []}
    for key in ("method_fit", "process_planning"):
        value = lex.dimension("intents").get(key)
        if value is not None:
            carriers["sv"] += [(t, key) for t in value.exemplars_sv]
            carriers["en"] += [(t, key) for t in value.exemplars_en]
    out: list[tuple[str, str, str, str]] = []
    seen: set[str] = set(t for dim in lex.dimensions.values() for v in dim.values for t in v.exemplars)

    def join(statement: str, lang: str, dimension: str, key: str, count: int) -> None:
        # Rendezvous hashing: each statement keeps its carriers when others are added, so a new
        # phrasing embeds only itself and its own few composed texts.
        ranked = sorted(carriers[lang], key=lambda c: zlib.crc32(f"{statement}|{c[0]}".encode()))
        for question, intent in ranked[:count]:
            first = zlib.crc32(f"{question}|{statement}".encode()) % 2 == 0
            text = f"{statement.rstrip()} {question}" if first else f"{question} {statement.rstrip()}"
            if text not in seen:
                seen.add(text)
                out.append((text, dimension, key, intent))

    for value in lex.dimension("preconditions").values:
        for lang, items in (("sv", value.exemplars_sv), ("en", value.exemplars_en)):
            for statement in items:
                join(statement, lang, "preconditions", value.key, COMPOSE_CARRIERS)
    for name in NEGATIVE_CONTEXT:
        for value in lex.dimension(name).values:
            for lang, items in (("sv", value.exemplars_sv), ("en", value.exemplars_en)):
                for statement in items[:2]:
                    join(statement, lang, name, value.key, 1)
    return out


def fit(vectors: np.ndarray, labels: Mapping[str, list[str]]) -> dict[str, Model]:
    """Logistic regressions per dimension: softmax for single-valued ones, one-vs-rest for the others."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]  # heavy: only when fitting

    models: dict[str, Model] = {}
    for name, column in labels.items():
        if name == SIMILAR:
            continue
        y = np.array(column)
        if name in SINGLE:
            rows = (y != "") & (y != UNLABELLED)
            clf = LogisticRegression(C=_C_BY_DIMENSION.get(name, _C), max_iter=2000, class_weight="balanced")
            clf.fit(vectors[rows], y[rows])
            keys = tuple(str(c) for c in clf.classes_)
            w, b = clf.coef_, clf.intercept_
            if len(keys) == 2:  # sklearn keeps one row for two classes: spell out both for the softmax
                w, b = np.vstack([-w[0] / 2, w[0] / 2]), np.array([-b[0] / 2, b[0] / 2])
            models[name] = Model(keys, w.astype(np.float32), b.astype(np.float32), single=True)
        else:
            keys = tuple(dict.fromkeys(k for k in column if k and k != UNLABELLED))
            known = y != UNLABELLED
            ws, bs = [], []
            for key in keys:
                clf = LogisticRegression(
                    C=_C_BY_DIMENSION.get(name, _C), max_iter=2000, class_weight="balanced"
                )
                clf.fit(vectors[known], (y[known] == key).astype(int))
                ws.append(clf.coef_[0])
                bs.append(clf.intercept_[0])
            models[name] = Model(keys, np.array(ws, np.float32), np.array(bs, np.float32), single=False)
    # Scope also by nearest exemplar: out-of-scope subjects are many small islands (permits, salaries,
    # parking …) that a linear boundary drawn against 700 participation phrasings partly swallows.
    scope = np.array(labels["scope"])
    keys = ("in", "out")
    rows = np.isin(scope, keys)
    owner = np.array([keys.index(k) for k in scope[rows]], np.float32)
    models[f"scope{NEAREST}"] = Model(
        keys, vectors[rows].astype(np.float16), owner, single=False, nearest=True
    )
    voters = [i for i, m in enumerate(labels.get(SIMILAR, ())) if m]
    if voters:
        methods = tuple(sorted({m for i in voters for m in labels[SIMILAR][i].split("|")}))
        matrix = np.zeros((len(voters), len(methods)), np.float16)
        for row, i in enumerate(voters):
            for m in labels[SIMILAR][i].split("|"):
                matrix[row, methods.index(m)] = 1
        models[SIMILAR] = Model(
            methods, vectors[voters].astype(np.float16), matrix, single=False, vote=SIMILAR_K
        )
    return models


class SemanticReader:
    """Reads a question vector against models fitted on the lexicon's exemplars."""

    def __init__(self, models: Mapping[str, Model]) -> None:
        # Stored vectors are float16 (half the file); widened once here, not on every read (that cost
        # ~12 ms a question with 3,000 stored vectors, against ~1 ms for the products themselves).
        self.models = {
            name: replace(m, weights=m.weights.astype(np.float32)) if m.weights.dtype != np.float32 else m
            for name, m in models.items()
        }

    def read(self, vector: np.ndarray) -> Reading:
        """Probabilities per dimension for one query vector (normalised here)."""
        v = np.asarray(vector, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(v))
        v = v / norm if norm > 0 else v
        return Reading({name: model.probabilities(v) for name, model in self.models.items()})

    @classmethod
    def prepare(cls, embedder: Embedder, folder: Path, lex: Lexicon | None = None) -> SemanticReader:
        """Load the fitted reader for this lexicon and embedder (shipped in `FITTED` or cached in
        `folder`), or embed the exemplars and fit it once, into `folder`."""
        lex = lex or lexicon()
        name = f"{embedder.key}-{lex.digest}-v{_VERSION}.npz"
        path = folder / name
        for candidate in (FITTED / name, path):
            if candidate.exists():
                try:
                    return cls(_load(candidate))
                except (OSError, ValueError, KeyError) as exc:  # a torn or foreign file: fit again
                    log.warning("Fitting the reader again: %s could not be read (%s).", candidate, exc)
        texts, labels = training_set(lex)
        models = fit(exemplar_vectors(embedder, texts, folder), labels)
        folder.mkdir(parents=True, exist_ok=True)
        _save(path, models)
        return cls(models)


def exemplar_vectors(embedder: Embedder, texts: list[str], folder: Path) -> np.ndarray:
    """Unit-length query vectors of the exemplars; those embedded before come from `folder`, so adding a
    phrasing embeds that phrasing only."""
    path = folder / f"{embedder.key}-exemplars.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                known = dict(zip((str(t) for t in data["texts"]), data["vectors"], strict=True))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("Embedding every exemplar again: %s could not be read (%s).", path, exc)
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        fresh = np.asarray(embedder.embed(missing, "query"), dtype=np.float32)
        fresh /= np.maximum(np.linalg.norm(fresh, axis=1, keepdims=True), 1e-12)
        known.update(zip(missing, fresh, strict=True))
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, texts=np.array(list(known)), vectors=np.array(list(known.values()), np.float32))
        tmp.replace(path)
    return np.array([known[t] for t in texts], dtype=np.float32)


def _save(path: Path, models: Mapping[str, Model]) -> None:
    arrays: dict[str, np.ndarray] = {}
    for name, m in models.items():
        arrays[f"{name}.keys"] = np.array(m.keys)
        arrays[f"{name}.weights"] = m.weights
        arrays[f"{name}.bias"] = m.bias
        arrays[f"{name}.single"] = np.array([m.single])
        arrays[f"{name}.nearest"] = np.array([m.nearest])
        arrays[f"{name}.vote"] = np.array([m.vote])
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)  # readers never see half a file


def _load(path: Path) -> dict[str, Model]:
    with np.load(path, allow_pickle=False) as data:
        names = sorted({k.rsplit(".", 1)[0] for k in data.files})
        return {
            n: Model(
                tuple(str(k) for k in data[f"{n}.keys"]),
                data[f"{n}.weights"],
                data[f"{n}.bias"],
                bool(data[f"{n}.single"][0]),
                bool(data[f"{n}.nearest"][0]) if f"{n}.nearest" in data.files else False,
                int(data[f"{n}.vote"][0]) if f"{n}.vote" in data.files else 0,
            )
            for n in names
        }


def reads_meaning(embedder: Embedder) -> bool:
    """False for the fake embedder: its vectors hash words and carry no meaning to learn from."""
    return not embedder.key.startswith("fake")


def reader_dir(model_dir: Path) -> Path:
    """Where fitted readers are cached: beside the models, since they depend on the model and the lexicon only."""
    return model_dir / "reader"
