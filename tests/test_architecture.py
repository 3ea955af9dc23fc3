"""Dependencies run one way: `ui/` and `evals/` use `assistant/`, never the reverse, and nothing imports the CLI.

The CLI (`assistant/cli/`) is the composition root: it alone may wire `ui` and `evals` together. The checker reads
every import statement (module level and inside functions) with `ast`, so a lazy import counts too.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "ui", "evals")
MAX_LINES = 400  # DESIGN.md: modules small, each about one thing (aim under ~400 lines)


@dataclass(frozen=True)
class Violation:
    """One import that breaks the direction rules."""

    module: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported} – {self.rule}"


def module_name(root: Path, path: Path) -> str:
    """'assistant/cli/run.py' → 'assistant.cli.run'; a package's __init__ is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # 'from assistant import cli' imports the module assistant.cli
                yield node.lineno, f"{base}.{alias.name}"


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def check(root: Path) -> list[Violation]:
    """Every import in root's packages that breaks the one-way rules."""
    found: dict[tuple[str, int, str], Violation] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(root, path)
            in_cli = _within(module, "assistant.cli") or module == "assistant.__main__"
            for line, name in imports(path, module):
                rule = _broken_rule(module, name, in_cli)
                if rule is not None:  # 'from x import a, b' is one violation, not three
                    found.setdefault((module, line, rule), Violation(module, line, name, rule))
    return list(found.values())


def _broken_rule(module: str, name: str, in_cli: bool) -> str | None:
    """The rule an import of `name` from `module` breaks, if any."""
    if _within(name, "assistant.cli") and not in_cli:
        return "nothing imports the CLI"
    if _within(module, "assistant") and not in_cli:
        for upward in ("ui", "evals"):
            if _within(name, upward):
                return f"assistant must not depend on {upward}"
    if _within(module, "ui") and _within(name, "evals"):
        return "ui must not depend on evals"
    return None


def test_the_tree_has_no_upward_import() -> None:
    """The real tree: assistant imports neither ui nor evals (outside the CLI), ui not evals, nobody the CLI."""
    violations = check(ROOT)
    assert not violations, "\n".join(map(str, violations))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"assistant/pipeline.py": "from ui.app import launch\n"}, "assistant must not depend on ui"),
        (
            {"assistant/advisor.py": "def f():\n    from evals import metrics\n"},
            "assistant must not depend on evals",
        ),
        ({"ui/feedback.py": "import evals.feedback\n"}, "ui must not depend on evals"),
        ({"ui/app.py": "from assistant.cli import app\n"}, "nothing imports the CLI"),
        ({"evals/runner.py": "from assistant import cli\n"}, "nothing imports the CLI"),
        ({"assistant/store.py": "from .cli import _shared\n"}, "nothing imports the CLI"),
    ],
)
def test_a_deliberately_wrong_import_is_reported(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    """The checker fails on each kind of wrong import, with the module and line that did it."""
    violations = check(_tree(tmp_path, files))
    assert [v.rule for v in violations] == [expected]
    assert violations[0].line >= 1


def test_the_composition_root_may_wire_everything(tmp_path: Path) -> None:
    """The CLI may import ui and evals; ui and evals may import assistant."""
    files = {
        "assistant/cli/__init__.py": "from ui.app import launch\nfrom evals.runner import run_cases\n",
        "assistant/__main__.py": "from assistant.cli import main\n",
        "ui/app.py": "from assistant.pipeline import Assistant\n",
        "evals/runner.py": "from assistant.types import Answer\n",
    }
    assert check(_tree(tmp_path, files)) == []


def test_no_module_of_assistant_is_oversized() -> None:
    """Small modules, each about one thing: none of assistant/ over the line budget."""
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / "assistant").rglob("*.py")
    }
    assert not {p: n for p, n in sizes.items() if n > MAX_LINES}
