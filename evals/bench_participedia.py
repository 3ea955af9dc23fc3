"""Benchmark for issue 7: import and index Participedia's 373 methods; query latency before and after.

    .venv/bin/python -m evals.bench_participedia [--embedder gemma] [--queries 40] [--cold] [--out FILE.json]

Works on copies in a temporary folder (or --work DIR, kept so that a rerun only re-measures latency):
the repository's corpus and index are never touched. Latency is measured with a fresh assistant per
measurement, so the query-vector cache of `ask` never serves a query that `search` already embedded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.embedding_cache import CACHE_DIRNAME

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "participedia" / "methods.csv"
ENGLISH_QUERIES = [
    "How does a 21st Century Town Meeting work?",
    "What is deliberative polling?",
    "How are participants recruited for a citizens' jury?",
    "Which methods use stratified random sampling?",
    "What is participatory budgeting and where did it start?",
    "How does a planning cell work?",
    "What is a World Café?",
    "Methods for online deliberation with large groups",
    "What are the outcomes of a consensus conference?",
    "How do you run an open space event?",
]


def _latency(fn: Callable[[str], Any], queries: list[str]) -> dict[str, float]:
    from assistant.bench import percentile

    fn(queries[0])  # warm-up
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "n": len(times)}


def run(
    embedder_name: str, n_queries: int, csv_path: Path, models_dir: Path, work: Path, shipped: bool = True
) -> dict[str, Any]:
    """All phases in one process under `work`; a second run reuses the indexes and re-measures latency.

    With `shipped`, the import starts from the vectors the repository ships for it
    (`corpus-imports/corpus-embeddings/`), as a fresh clone's import does; without, everything is embedded.
    """
    from assistant.bench import make_queries
    from assistant.config import Settings, apply_process_environment
    from assistant.embeddings import make_embedder
    from assistant.importers import import_participedia
    from assistant.pipeline import Assistant, index_corpus

    corpus = work / "corpus"
    if not corpus.exists():
        shutil.copytree(ROOT / "corpus", corpus)
        if (ROOT / "corpus-embeddings").is_dir():  # the shipped corpus comes with its embedding cache
            shutil.copytree(ROOT / "corpus-embeddings", work / "corpus-embeddings")
    imports = work / "corpus-imports" / "participedia"
    shipped_vectors = ROOT / "corpus-imports" / CACHE_DIRNAME
    if shipped and shipped_vectors.is_dir() and not (imports.parent / CACHE_DIRNAME).exists():
        shutil.copytree(shipped_vectors, imports.parent / CACHE_DIRNAME)
    own_settings = Settings(
        data_dir=work / "data-own", models_dir=models_dir, corpus_dirs=(corpus,), embedder=embedder_name
    )
    apply_process_environment(own_settings, os.environ)  # type: ignore[arg-type]
    start = time.perf_counter()
    embedder = make_embedder(own_settings)
    embedder.embed(["uppvärmning"], "query")  # a lazily loaded model loads here, not in the index timing
    load_s = time.perf_counter() - start
    own, report = index_corpus(own_settings, embedder)
    queries = make_queries([d.title for d in report.documents], max(0, n_queries - len(ENGLISH_QUERIES)))
    queries += ENGLISH_QUERIES

    def latency(settings: Settings) -> dict[str, Any]:
        # A fresh assistant per measurement: its query-vector cache must not serve the second one.
        search = Assistant.from_settings(settings, embedder)
        ask = Assistant.from_settings(settings, embedder)
        return {
            "search": _latency(lambda q: search.search(q), queries),
            "ask": _latency(lambda q: ask.ask(q), queries),
        }

    lat_before = latency(own_settings)
    imp = import_participedia(csv_path, imports)
    both = own_settings.replace(data_dir=work / "data-both", corpus_dirs=(corpus, imports))
    if not both.data_dir.exists():  # start from the own-corpus index, as a deployment would
        shutil.copytree(own_settings.data_dir, both.data_dir)
    incremental, report2 = index_corpus(both, embedder)
    lat_after = latency(both)
    again_imp = import_participedia(csv_path, imports)
    again, _ = index_corpus(both, embedder)
    hits = Assistant.from_settings(both, embedder).search(
        "How are participants recruited for a 21st Century Town Meeting?", 5
    )
    return {
        "embedder": embedder.key,
        "shipped_vectors": shipped,
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "model_load_s": load_s,
        "own_corpus": {
            "documents": own.documents,
            "chunks": own.chunks,
            "index_s": own.seconds,
            "already_built": own.unchanged,
        },
        "import": {
            "rows": imp.rows,
            "imported": imp.imported,
            "written": len(imp.written),
            "skipped": len(imp.skipped),
            "unmapped_values": len(imp.unmapped),
            "seconds": imp.seconds,
        },
        "index_after_import": {
            "documents": incremental.documents,
            "chunks": incremental.chunks,
            "embedded": incremental.embedded,
            "reused": incremental.reused,
            "seconds": incremental.seconds,
            "already_built": incremental.unchanged,
            "problems": len(report2.problems),
        },
        "import_plus_index_s": imp.seconds + incremental.seconds,
        "reimport_unchanged": {
            "written": len(again_imp.written),
            "unchanged": len(again_imp.unchanged),
            "seconds": again_imp.seconds,
        },
        "reindex_unchanged": {
            "unchanged": again.unchanged,
            "embedded": again.embedded,
            "seconds": again.seconds,
        },
        "latency_before": lat_before,
        "latency_after": lat_after,
        "ratios_after_before": {
            f"{kind}_{p}": lat_after[kind][p] / lat_before[kind][p]
            for kind in ("search", "ask")
            for p in ("p50_ms", "p95_ms")
        },
        "top_hits_town_meeting": [f"{h.chunk.doc_id} › {h.chunk.section}" for h in hits],
    }


def format_report(r: dict[str, Any]) -> str:
    """A short plain-text summary for the issue note."""
    built = " (already built: reused)" if r["index_after_import"]["already_built"] else ""
    b, a, x = r["latency_before"], r["latency_after"], r["ratios_after_before"]
    i, ix = r["import"], r["index_after_import"]
    return "\n".join(
        [
            f"Embedder: {r['embedder']} (load {r['model_load_s']:.1f} s), "
            + ("starting from the shipped vectors" if r.get("shipped_vectors") else "embedding everything"),
            f"Own corpus: {r['own_corpus']['documents']} docs, {r['own_corpus']['chunks']} chunks, "
            f"indexed in {r['own_corpus']['index_s']:.1f} s"
            + (" (already built)" if r["own_corpus"]["already_built"] else ""),
            f"Participedia import: {i['imported']}/{i['rows']} methods in {i['seconds']:.1f} s "
            f"({i['skipped']} skipped, {i['unmapped_values']} unmapped values)",
            f"Index after import: {ix['documents']} docs, {ix['chunks']} chunks, {ix['embedded']} embedded, "
            f"{ix['reused']} reused, {ix['seconds']:.1f} s{built}",
            f"Import + index: {r['import_plus_index_s']:.1f} s",
            f"Re-import unchanged: {r['reimport_unchanged']['written']} written; "
            f"re-index: unchanged={r['reindex_unchanged']['unchanged']} in {r['reindex_unchanged']['seconds']:.2f} s",
            f"search p50 {b['search']['p50_ms']:.1f} → {a['search']['p50_ms']:.1f} ms (×{x['search_p50_ms']:.2f}), "
            f"p95 {b['search']['p95_ms']:.1f} → {a['search']['p95_ms']:.1f} ms (×{x['search_p95_ms']:.2f})",
            f"ask    p50 {b['ask']['p50_ms']:.1f} → {a['ask']['p50_ms']:.1f} ms (×{x['ask_p50_ms']:.2f}), "
            f"p95 {b['ask']['p95_ms']:.1f} → {a['ask']['p95_ms']:.1f} ms (×{x['ask_p95_ms']:.2f})",
            "Top hits (town meeting recruitment): " + "; ".join(r["top_hits_town_meeting"][:3]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default="gemma")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--models-dir", type=Path, default=ROOT / ".metodguiden" / "models")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--cold",
        action="store_true",
        help=f"Ignore the vectors shipped in corpus-imports/{CACHE_DIRNAME}/: embed every passage.",
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="Keep indexes here; a rerun only re-measures."
    )
    args = parser.parse_args(argv)
    if not args.csv.exists():
        print(f"No Participedia export at {args.csv}; pass --csv.", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if args.work is not None:
            args.work.mkdir(parents=True, exist_ok=True)
            work = args.work.resolve()
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mg-bench-pp-")))
        result = run(args.embedder, args.queries, args.csv, args.models_dir.resolve(), work, not args.cold)
    print(format_report(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
