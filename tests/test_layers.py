"""The house is one-way: each package imports only the layers below it (docs/architecture.md, "Layers").

ground < libraries (question_bank, scoring: neither imports the other) < delivery (candidate < proctor < registration
< assessment < committee) < top (exam_engine). Every import counts, at module level or inside a function. Also: no
``_private`` name is imported from another package, and the libraries' pure modules touch neither the database nor
Flask.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from exam_engine.packages import PACKAGES

ROOT = Path(__file__).resolve().parent.parent

# What each package may import (itself included). Read bottom up.
ALLOWED: dict[str, set[str]] = {
    "ground": {"ground"},
    "question_bank": {"ground", "question_bank"},
    "scoring": {"ground", "scoring"},
    "candidate": {"ground", "question_bank", "scoring", "candidate"},
    "proctor": {"ground", "question_bank", "scoring", "candidate", "proctor"},
    "registration": {"ground", "question_bank", "scoring", "candidate", "proctor", "registration"},
    "assessment": {"ground", "question_bank", "scoring", "candidate", "proctor", "registration", "assessment"},
    "committee": {"ground", "question_bank", "scoring", "candidate", "proctor", "registration", "assessment",
                  "committee"},
    "exam_engine": {"ground", "question_bank", "scoring", "candidate", "proctor", "registration", "assessment",
                    "committee", "exam_engine"},
}
LIBRARIES = ("question_bank", "scoring")
# In a library, only these modules may touch the database; the rest take and return plain data.
STORES = ("question_bank.store", "scoring.store")  # and everything under them
PERSISTENT_MODULES = (".cli", ".hooks")  # a module of this name anywhere in a library
DATABASE = ("ground.db", "ground.models", "ground.audit", "sqlalchemy")
WEB = ("flask", "flask_socketio", "socketio")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted (for ``from X import a``: X, and X.a when X.a is a module)
    names: tuple[str, ...]
    line: int

    def where(self) -> str:
        return f"{self.module}:{self.line}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path) -> list[Import]:
    """Every import statement in one file, relative imports resolved."""
    module = module_name(root, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append(Import(module, target, tuple(a.name for a in node.names), node.lineno))
    return found


def all_imports(root: Path, packages: list[str]) -> list[Import]:
    result = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            result += imports_of(root, path)
    return result


def is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(root: Path, allowed: dict[str, set[str]] = ALLOWED) -> list[str]:
    """Every import that breaks the layering, as readable lines (empty when the house is one-way)."""
    problems = []
    for imp in all_imports(root, [p for p in allowed if (root / p).is_dir()]):
        home, top = imp.module.split(".")[0], imp.target.split(".")[0]
        if top in allowed and top not in allowed[home]:
            problems.append(f"{imp.where()} imports {imp.target}: {home} may import only {sorted(allowed[home])}")
        if top in allowed and top != home:
            named = (*imp.names, imp.target.rpartition(".")[2])
            private = [n for n in named if n.startswith("_") and n not in ("_", "__future__")]
            if private:
                problems.append(f"{imp.where()} imports the private {', '.join(private)} from {imp.target}")
        if home in LIBRARIES and not is_persistence(imp.module):
            if is_under(imp.target, DATABASE) or any(is_under(f"{imp.target}.{n}", DATABASE) for n in imp.names):
                problems.append(f"{imp.where()} touches the database ({imp.target}): move it to {home}'s store")
        if home in LIBRARIES and is_under(imp.target, WEB):
            problems.append(f"{imp.where()} imports {imp.target}: a library works without a server")
    return problems


def is_persistence(module: str) -> bool:
    return is_under(module, STORES) or module.endswith(PERSISTENT_MODULES)


def test_every_package_has_its_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(ALLOWED), "add a new package to ALLOWED (and docs/architecture.md) in its layer"
    assert (*PACKAGES, "exam_engine") == tuple(ALLOWED), "list it in exam_engine/packages.py too, bottom up"


def test_the_house_is_one_way() -> None:
    found = violations(ROOT)
    assert not found, "imports against the layers:\n" + "\n".join(found)


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    """A deliberate upward import, a library importing its sibling, a private import and a database-bound pure
    module are each reported; the same tree without them is clean."""
    files = {
        "ground/__init__.py": "",
        "ground/clock.py": "from candidate import sessions\n",
        "ground/db.py": "",
        "question_bank/__init__.py": "",
        "question_bank/assembly.py": "def f():\n    from scoring.grading import grade\n",
        "question_bank/items.py": "from ground.db import session_scope\n",
        "question_bank/store.py": "from ground.db import session_scope\n",
        "scoring/__init__.py": "",
        "scoring/grading.py": "",
        "candidate/__init__.py": "",
        "candidate/sessions.py": "from ground import clock\n",
        "proctor/__init__.py": "",
        "proctor/live.py": "from candidate.sessions import _acked\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = violations(tmp_path)
    assert any(p.startswith("ground.clock:1 imports candidate") for p in found), found
    assert any(p.startswith("question_bank.assembly:2 imports scoring.grading") for p in found), found
    assert any("private _acked" in p for p in found), found
    assert any(p.startswith("question_bank.items:1 touches the database") for p in found), found
    assert len(found) == 4, found  # the store may touch the database; candidate may import ground

    for name in ("ground/clock.py", "question_bank/assembly.py", "question_bank/items.py", "proctor/live.py"):
        (tmp_path / name).write_text("")
    assert violations(tmp_path) == []


@pytest.mark.parametrize("package", ["question_bank", "scoring"])
def test_libraries_import_without_flask(package: str) -> None:
    """Importing a library's pure modules pulls in no web framework (a batch job or benchmark needs none)."""
    import subprocess
    import sys

    pure = [module_name(ROOT, p) for p in sorted((ROOT / package).rglob("*.py"))
            if not is_persistence(module_name(ROOT, p))]
    web = "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_socketio', 'socketio')))"
    code = "import sys\n" + "".join(f"import {m}\n" for m in pure) + web
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
