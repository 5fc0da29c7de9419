"""Print every module of the package with its size and the package modules it imports (who imports whom).

Run ``python scripts/structure.py [PACKAGE_DIR]``; it reads the source with ``ast`` and imports nothing.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def module_name(path: Path, root: Path) -> str:
    """Dotted module name of a file under the package folder's parent."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, name: str, package: str) -> set[str]:
    """Package modules that a module imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if target.split(".")[0] != package:
                continue
            found.add(target)
            for alias in node.names:  # ``from . import text`` names a module, not an attribute
                found.add(f"{target}.{alias.name}")
    return found


def main(argv: list[str]) -> None:
    """Print the table: module, lines, imported package modules."""
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent / "parallax").resolve()
    files = sorted(root.rglob("*.py"))
    names = {module_name(p, root): p for p in files}
    total = 0
    print(f"{'module':32} {'lines':>6}  imports")
    for name, path in names.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        total += lines
        used = sorted(m.removeprefix(root.name + ".") for m in imports(path, name, root.name) if m in names
                      and m != name)
        print(f"{name.removeprefix(root.name + '.'):32} {lines:6d}  {', '.join(used)}")
    print(f"{len(names)} modules, {total} lines")


if __name__ == "__main__":
    main(sys.argv)
