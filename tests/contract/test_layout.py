"""The code's layout: every module in the README's tree, none over 400 lines, and imports only going down."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "twitch_triage"
# Each layer imports only from the layers after it (the README's order); the package root holds only the face.
LAYERS = (("cli",), ("interview", "report"), ("scoring",), ("model",), ("triage",), ("oracle",), ("knowledge",),
          ("answers",), ("io",), ("contract", "settings", "wording"))
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def readme_tree() -> set[str]:
    """The paths the README's layout block draws, rebuilt from its indentation."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Layout"):]
    block = block[block.index("```\n") + 4:]
    block = block[:block.index("```")]
    paths, stack = set(), []
    for line in block.splitlines():
        name = line.split()[0] if line.strip() else ""
        if not (name.endswith((".py", "/")) and re.match(r"[\w./]+$", name)):
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        stack[depth:] = [name]
        paths.add("".join(stack))
    return paths


def layer(path: Path) -> str:
    part = path.relative_to(PACKAGE).parts[0]
    return part.removesuffix(".py")


def imported(path: Path) -> set[str]:
    """The top-level parts of the package that ``path`` imports (relative imports)."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    base = parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            at = base[: len(base) - (node.level - 1)]
            target = at + (node.module.split(".") if node.module else [])
            found |= {target[0]} if target else {alias.name for alias in node.names}
    return found


def test_the_readme_draws_every_module_of_the_package_and_the_app():
    drawn = readme_tree()
    for top in (PACKAGE, ROOT / "twitch_triage_app"):
        for path in modules(top):
            if path.name == "__init__.py":
                continue
            rel = path.relative_to(top.parent if top.name == "twitch_triage_app" else top.parent.parent)
            assert rel.as_posix() in drawn or f"src/{rel.as_posix()}" in drawn, f"{rel} is not in the README's layout"


@pytest.mark.parametrize("path", modules(PACKAGE) + modules(ROOT / "twitch_triage_app"),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_passes_400_lines_and_each_says_its_job_and_its_names(path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 400
    tree = ast.parse(text)
    assert ast.get_docstring(tree), "a module's first line names its job"
    if path.name != "__main__.py" and "pages" not in path.parts:
        assert any(isinstance(n, (ast.Assign, ast.AnnAssign)) and "__all__" in ast.unparse(n).split("=")[0]
                   for n in tree.body), "a module says which names it offers (__all__)"


def test_imports_only_go_down_the_layers():
    for path in modules(PACKAGE):
        here = layer(path)
        if here in ("__init__", "__main__"):
            continue
        for target in imported(path) - {here, "__version__"}:
            assert RANK[target] > RANK[here], f"{path.relative_to(PACKAGE)} imports {target}, a layer above it"
