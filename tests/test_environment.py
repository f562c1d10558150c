"""environment.yml (for conda users) names the same dependencies as pyproject.toml, and the lock satisfies both."""
import ast
import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO


def pyproject_requirements():
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return {canonicalize_name(r.name): str(r.specifier) for r in map(Requirement, data["project"]["dependencies"])}


def conda_requirements():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    found = {}
    for entry in env["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if item.startswith("-e") or item == "pip":
                continue
            requirement = Requirement(item)
            if requirement.name == "python":
                continue
            found[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return found


def test_environment_yml_matches_pyproject():
    assert conda_requirements() == pyproject_requirements()


def test_lock_pins_every_dependency_within_its_range():
    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", line.strip())
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    for name, specifier in pyproject_requirements().items():
        assert name in pins, f"{name} is not pinned in requirements.lock"
        assert Requirement(f"{name}{specifier}").specifier.contains(pins[name]), (name, pins[name], specifier)


# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "pyyaml", "vaderSentiment": "vadersentiment", "PIL": "pillow",
                 "dateutil": "python-dateutil"}


def top_level_imports(path) -> set[str]:
    """The top-level names of every package a module imports, anywhere in it."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    return imported


def test_every_third_party_import_of_the_library_is_declared():
    import sys

    imported = set()
    # The training script may also use the training extra (checked below); nothing else may.
    for path in (REPO / "lib" / "newslens").rglob("*.py"):
        if path.name != "train_encoder.py":
            imported |= top_level_imports(path)
    third_party = {name for name in imported if name not in sys.stdlib_module_names and name not in ("newslens",
                                                                                                      "__future__")}
    declared = set(pyproject_requirements())
    missing = sorted(n for n in third_party if canonicalize_name(DISTRIBUTIONS.get(n, n)) not in declared)
    assert missing == []


def test_no_nltk_download_anywhere():
    sources = [*(REPO / "lib").rglob("*.py"), *(REPO / "notebooks").glob("*.ipynb"), *(REPO / "benchmarks").glob("*.py")]
    offenders = [p.name for p in sources if "nltk.download" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_training_extra_is_declared_pinned_and_used_only_by_the_training_script():
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extra = {canonicalize_name(Requirement(r).name) for r in data["project"]["optional-dependencies"]["train"]}
    assert {"torch", "transformers", "onnx"} <= extra
    pins = {canonicalize_name(line.split("==")[0]) for line in
            (REPO / "requirements-train.lock").read_text(encoding="utf-8").splitlines() if "==" in line}
    assert extra <= pins
    runtime = {canonicalize_name(line.split("==")[0]) for line in
               (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines() if "==" in line}
    assert not {"torch", "transformers"} & runtime
    for path in (REPO / "lib" / "newslens").rglob("*.py"):
        if path.name != "train_encoder.py":
            assert not {"torch", "transformers", "onnx"} & top_level_imports(path), path.name
