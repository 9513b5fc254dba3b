"""The house's structure as tests: no module imports one that imports it back
(not even inside a function, which only hides a cycle), and no function above
the complexity gate (issue 28)."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "sksearch"


def _module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports():
    """module -> the sksearch modules it imports anywhere in its code."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                targets |= {t for t in [target, *(f"{target}.{a.name}" for a in node.names)]
                            if t in modules and t != name}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sksearch"):
                targets |= {node.module} & set(modules)
        graph[name] = targets
    return graph


def test_no_two_modules_import_each_other():
    graph = _imports()
    mutual = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets
                     if a in graph.get(b, ())})
    # a package re-exporting its submodule's names is not a cycle of concerns
    mutual = [(a, b) for a, b in mutual if not (b.startswith(a + ".") or a.startswith(b + "."))]
    assert not mutual, mutual


def test_no_function_above_the_complexity_gate():
    radon = pytest.importorskip("radon.complexity", reason="radon measures the gate")
    over = []
    for path in ROOT.rglob("*.py"):
        for block in radon.cc_visit(path.read_text()):
            if block.complexity > 15:
                over.append(f"{path.relative_to(ROOT.parent)}:{block.lineno} {block.name} "
                            f"{block.complexity}")
    assert not over, over
