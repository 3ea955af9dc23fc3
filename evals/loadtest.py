"""Load and fault test: N users ask a running server's `/ask` at once, optionally while the index is rebuilt,
a rebuild is killed with SIGKILL, or index files are damaged; reports throughput, latency and errors.

Loopback only and bounded (users, questions and wall time), so it cannot be pointed at someone else's
server or run away. The server is any `metodguiden serve`; faults act on its data dir through the CLI.

    python -m evals.loadtest --url http://127.0.0.1:7860 --users 50 --per-user 10 \\
        --reindex "metodguiden --data-dir D --corpus C index --full" --fault none
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

MAX_USERS = 200
MAX_PER_USER = 100
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUESTIONS = (
    "Vilken metod passar när vi vill att unga ska påverka hur en del av budgeten används?",
    "Hur går ett medborgarråd till?",
    "Vi vill höra vad de boende tycker om en ny park, vad ska vi göra?",
    "Hur många deltar i en fokusgrupp?",
    "Hur återkopplar vi till invånarna efter en dialog?",
    "Which method fits a polarised question about a wind farm?",
    "Vad kostar en trygghetsvandring?",
    "Hur når vi grupper som sällan deltar?",
    "Vilka fallgropar finns med digitala enkäter?",
    "Hur lång tid tar en medborgarbudget?",
)


@dataclass(frozen=True)
class Outcome:
    """One question: how long it took and what went wrong, if anything."""

    seconds: float
    error: str = ""


@dataclass(frozen=True)
class LoadReport:
    """What a load run measured."""

    users: int
    questions: int
    ok: int
    errors: int
    seconds: float
    throughput_per_s: float
    p50_s: float
    p95_s: float
    max_s: float
    error_samples: tuple[str, ...] = ()
    fault: dict[str, Any] = field(default_factory=dict)


def check_loopback(url: str) -> str:
    """The URL without a trailing slash, when it points at this machine; ValueError otherwise."""
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK:
        raise ValueError(f"{url!r} is not a loopback address; the load test only talks to this machine.")
    return url.rstrip("/")


_DEFAULTS: dict[str, list[Any]] = {}


def _ask_defaults(client: Any, base: str, timeout: float) -> list[Any]:
    """The defaults of `/ask`'s parameters after the question, as the server describes them (Gradio wants all)."""
    if base not in _DEFAULTS:
        info = client.get(f"{base}/gradio_api/info", timeout=timeout)
        info.raise_for_status()
        params = info.json()["named_endpoints"]["/ask"]["parameters"]
        _DEFAULTS[base] = [p.get("parameter_default") for p in params[1:]]
    return _DEFAULTS[base]


def ask_http(client: Any, base: str, question: str, timeout: float = 120) -> dict[str, Any]:
    """Call Gradio's `/ask` over plain HTTP (submit, then read the event stream); the answer JSON."""
    data = [question, *_ask_defaults(client, base, timeout)]
    sent = client.post(f"{base}/gradio_api/call/ask", json={"data": data}, timeout=timeout)
    sent.raise_for_status()
    event_id = sent.json()["event_id"]
    got = client.get(f"{base}/gradio_api/call/ask/{event_id}", timeout=timeout)
    got.raise_for_status()
    event = ""
    for line in got.text.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            data = line.split(":", 1)[1].strip()
            if event == "error":
                raise RuntimeError(f"server error event: {data[:200]}")
            payload = json.loads(data)
            result = payload[0] if isinstance(payload, list) else payload
            if not isinstance(result, dict):
                raise RuntimeError(f"unexpected result {str(result)[:200]}")
            return result
    raise RuntimeError(f"no complete event in {got.text[:200]!r}")


def _one(client: Any, base: str, question: str, timeout: float) -> Outcome:
    started = time.perf_counter()
    try:
        data = ask_http(client, base, question, timeout)
        if data.get("error") or not data.get("answer"):
            return Outcome(
                time.perf_counter() - started, f"answer error: {data.get('error') or 'empty answer'}"
            )
    except Exception as exc:  # every failure counts, whatever its type
        return Outcome(time.perf_counter() - started, f"{type(exc).__name__}: {str(exc)[:200]}")
    return Outcome(time.perf_counter() - started)


def run_load(
    base: str,
    *,
    users: int,
    per_user: int,
    questions: Sequence[str] = QUESTIONS,
    time_limit: float = 600,
    timeout: float = 120,
    during: Callable[[], dict[str, Any]] | None = None,
    during_after: float = 0.5,
) -> LoadReport:
    """Every user asks per_user questions one after another; `during` runs once after that share is done."""
    import httpx

    if not 1 <= users <= MAX_USERS or not 1 <= per_user <= MAX_PER_USER:
        raise ValueError(f"users must be 1–{MAX_USERS} and per-user 1–{MAX_PER_USER}.")
    base = check_loopback(base)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    deadline = time.monotonic() + time_limit
    total = users * per_user
    half = threading.Event()
    fault: dict[str, Any] = {}

    def user(n: int) -> None:
        with httpx.Client() as client:
            for i in range(per_user):
                if time.monotonic() > deadline:
                    return
                outcome = _one(client, base, questions[(n + i) % len(questions)], timeout)
                with lock:
                    outcomes.append(outcome)
                    if len(outcomes) >= total * during_after:
                        half.set()

    def fault_runner() -> None:
        half.wait(timeout=time_limit)
        fault.update(during() if during is not None else {})

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    side = threading.Thread(target=fault_runner, daemon=True) if during is not None else None
    for t in threads:
        t.start()
    if side is not None:
        side.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + timeout)
    if side is not None:
        side.join(max(0.0, deadline - time.monotonic()) + 5)
    seconds = time.perf_counter() - started
    lat = sorted(o.seconds for o in outcomes)
    bad = [o.error for o in outcomes if o.error]

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else 0.0

    return LoadReport(
        users=users,
        questions=len(outcomes),
        ok=len(outcomes) - len(bad),
        errors=len(bad) + (total - len(outcomes)),  # unanswered questions (time limit) count as errors
        seconds=round(seconds, 2),
        throughput_per_s=round(len(outcomes) / seconds, 2) if seconds else 0.0,
        p50_s=round(statistics.median(lat), 3) if lat else 0.0,
        p95_s=pct(0.95),
        max_s=round(lat[-1], 3) if lat else 0.0,
        error_samples=tuple(sorted(set(bad))[:5]),
        fault=fault,
    )


def run_command(cmd: str, timeout: float) -> dict[str, Any]:
    """Run a CLI command (e.g. a reindex) to its end; its exit code, time and last output line."""
    started = time.perf_counter()
    done = subprocess.run(shlex.split(cmd), capture_output=True, text=True, timeout=timeout, check=False)
    tail = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:] or [""]
    return {
        "command": cmd,
        "rc": done.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "out": tail[0],
    }


def _generations(data_dir: Path) -> set[Path]:
    return {g for key in (data_dir / "index").iterdir() if key.is_dir() for g in key.iterdir()}


def kill_during(
    cmd: str, after: float, repair: str, timeout: float, data_dir: Path | None = None
) -> dict[str, Any]:
    """Start cmd, SIGKILL it `after` seconds into its build (once its new generation folder exists, when
    data_dir is given), then run `repair` (the next index) to its end."""
    before = _generations(data_dir) if data_dir else set()
    proc = subprocess.Popen(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while data_dir and proc.poll() is None and time.monotonic() < deadline:
        if _generations(data_dir) - before:
            break
        time.sleep(0.05)
    time.sleep(after)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return {"killed": killed, "killed_after_s": after, "repair": run_command(repair, timeout)}


def damage(path: Path, repair: str, timeout: float) -> dict[str, Any]:
    """Truncate a file of the index to half, then run `repair` (the next index) to its end."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return {"damaged": str(path), "repair": run_command(repair, timeout)}


def index_state(data_dir: Path) -> dict[str, int]:
    """Chunks and documents the active manifests record: compared before and after to count data lost."""
    state: dict[str, int] = {}
    for manifest in sorted((data_dir / "index").glob("manifest-*.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            state[manifest.stem] = len(data["chunk_ids"])
            state[f"{manifest.stem}:documents"] = int(data["documents"])
        except (ValueError, KeyError, TypeError, OSError):
            state[manifest.stem] = -1
    return state


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run a load, optionally with a reindex, a killed reindex or a damaged file in the middle."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:7860", help="A running `metodguiden serve` (loopback).")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--per-user", type=int, default=10)
    p.add_argument("--time-limit", type=float, default=600)
    p.add_argument(
        "--reindex", default="", help="A reindex command run when half the questions are answered."
    )
    p.add_argument("--repair", default="", help="The command run after a fault (default: --reindex).")
    p.add_argument("--fault", choices=("none", "kill-index", "damage"), default="none")
    p.add_argument("--kill-after", type=float, default=1.0, help="kill-index: seconds into the build.")
    p.add_argument("--damage-file", type=Path, help="damage: the index file to truncate.")
    p.add_argument("--data-dir", type=Path, help="The server's data dir, to count data lost.")
    p.add_argument("--json", action="store_true", help="Print the report as JSON.")
    args = p.parse_args(argv)
    before = index_state(args.data_dir) if args.data_dir else {}
    during: Callable[[], dict[str, Any]] | None = None
    if args.fault == "kill-index":
        if not args.reindex:
            p.error("--fault kill-index needs --reindex (the command to kill, then to run again).")
        during = lambda: kill_during(  # noqa: E731
            args.reindex, args.kill_after, args.repair or args.reindex, args.time_limit, args.data_dir
        )
    elif args.fault == "damage":
        if not (args.reindex and args.damage_file):
            p.error("--fault damage needs --damage-file and --reindex (the repair).")
        during = lambda: damage(args.damage_file, args.repair or args.reindex, args.time_limit)  # noqa: E731
    elif args.reindex:
        during = lambda: run_command(args.reindex, args.time_limit)  # noqa: E731
    try:
        report = run_load(
            args.url, users=args.users, per_user=args.per_user, time_limit=args.time_limit, during=during
        )
    except ValueError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    fault = dict(report.fault)
    if args.data_dir:
        after = index_state(args.data_dir)
        fault["index_before"], fault["index_after"] = before, after
        fault["chunks_lost"] = sum(max(0, v - after.get(k, 0)) for k, v in before.items() if ":" not in k)
    out = asdict(report) | {"fault": fault}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(
            f"{report.questions} frågor från {report.users} användare på {report.seconds} s: "
            f"{report.throughput_per_s}/s, p50 {report.p50_s} s, p95 {report.p95_s} s, max {report.max_s} s, "
            f"{report.errors} fel."
        )
        for sample in report.error_samples:
            print(f"  fel: {sample}")
        if fault:
            print(f"  fel-/omindexeringssteg: {json.dumps(fault, ensure_ascii=False)}")
    return 0 if report.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
