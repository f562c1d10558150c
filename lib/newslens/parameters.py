"""Notebook parameters: what each notebook declares, and checking what a user gives against it.

A notebook declares its parameters in the cell tagged ``parameters``, one per line, with a type annotation and a
help comment that may start with a constraint in square brackets::

    top_n: int = 25  # [1 ..] rows in the figures
    method: str = "model"  # [model | vader] the method of mentions.csv
    extra_stopwords: list[str] = []  # e.g. ["said", "also"]
    actors_file: str = ""  # [path] empty: actors.yaml beside the corpus

Names, annotations, defaults and help are read by papermill's own parser (``papermill.inspect_notebook``), without
starting a kernel. Types: ``int``, ``float``, ``bool``, ``str``, ``list[str]``, ``dict[str, str]`` (a parameter
without an annotation takes the type of its default). Constraints: ``[LOW ..]``, ``[.. HIGH]``, ``[LOW .. HIGH]``
(inclusive) for numbers, ``[a | b | c]`` for the allowed values of a string, ``[path]`` for a file or folder (the
runner resolves it against the folder the user runs it in, and checks that it exists, before any kernel starts).

``parse_value`` turns a command-line value into a typed one or raises ``ParameterError`` naming the parameter, the
expected type and the allowed values; ``check_parameters`` does it for every notebook of a run, before any runs,
from ``-p NAME VALUE`` pairs and a ``-f params.yaml`` file. ``check_values`` is the check a notebook makes itself
of values only its data can tell (actor names, terms): an error naming the parameter and the allowed values.
"""
from __future__ import annotations

import ast
import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TYPES = ("int", "float", "bool", "str", "list[str]", "dict[str, str]")
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
# Set by the runner's own options: a -p for them would be silently overridden.
RESERVED = {"corpus": "--corpus", "output_dir": "--out"}
# Not a parameter but the runner's other message to a notebook: set in the environment of its kernels, it tells
# newslens.explore that no one can use a widget there.
BATCH_ENV = "NEWSLENS_BATCH"
# What newslens wrote into an output folder (the index lists these files only); its presence marks a folder that
# `newslens run` publishes.
REPORTS_NAME = ".newslens-reports"
_CONSTRAINT = re.compile(r"^\[(?P<inside>[^\]]*)\]\s*(?P<help>.*)$")
_NUMBER = re.compile(r"[+-]?(\d[\d_]*\.?\d*|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)


class ParameterError(ValueError):
    """A parameter given on the command line is unknown or its value does not fit (the message says why)."""


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter. ``minimum``/``maximum`` bound numbers (inclusive); ``choices`` list allowed strings."""

    name: str
    type: str
    default: str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    path: bool = False

    def expected(self) -> str:
        """The expected value in words, e.g. "a whole number (int) from 1" or "one of: model, vader"."""
        words = {"int": "a whole number (int)", "float": "a number (float)", "bool": "true or false (bool)",
                 "str": "a text (str)", "list[str]": 'a list of texts (list[str]: a,b or ["a", "b"])',
                 "dict[str, str]": 'a JSON object of texts (dict[str, str], e.g. {"a": "b"})'}[self.type]
        if self.path:
            return "the path of an existing file or folder"
        if self.choices:
            return "one of: " + ", ".join(self.choices)
        low, high = (None if x is None else f"{x:,.0f}" if x == int(x) else f"{x:g}"
                     for x in (self.minimum, self.maximum))
        if low is not None and high is not None:
            return f"{words} from {low} to {high}"
        if low is not None:
            return f"{words} of at least {low}"
        if high is not None:
            return f"{words} of at most {high}"
        return words


def _type_of_default(default: str) -> str:
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        return "str"
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (list, "list[str]"), (dict, "dict[str, str]")):
        if isinstance(value, kind):
            return name
    return "str"


def _spec(name: str, annotation: str, default: str, help_text: str, where: str) -> ParameterSpec:
    kind = " ".join(annotation.replace(",", ", ").split()) if annotation != "None" else _type_of_default(default)
    kind = {"list": "list[str]", "dict": "dict[str, str]"}.get(kind, kind)
    if kind not in TYPES:
        raise ParameterError(f"{where}: parameter '{name}' has the type '{annotation}', which newslens cannot check "
                             f"(known: {', '.join(TYPES)})")
    minimum = maximum = None
    choices: tuple[str, ...] = ()
    match = _CONSTRAINT.match(help_text)
    if match:
        inside, help_text = match.group("inside").strip(), match.group("help")
        if inside == "path":
            return ParameterSpec(name, kind, default, help_text, path=True)
        if "|" in inside:
            choices = tuple(choice.strip() for choice in inside.split("|"))
        elif ".." in inside:
            low, high = (part.strip() for part in inside.split("..", 1))
            minimum, maximum = (float(low) if low else None), (float(high) if high else None)
    return ParameterSpec(name, kind, default, help_text, minimum, maximum, choices)


def declared_parameters(notebook: str | Path) -> dict[str, ParameterSpec]:
    """The parameters a notebook declares in its cell tagged ``parameters`` (read without a kernel)."""
    from papermill import inspect_notebook

    return {name: _spec(name, p["inferred_type_name"], p["default"], p["help"], str(notebook))
            for name, p in inspect_notebook(str(notebook)).items()}


def _parse_number(spec: ParameterSpec, text: str) -> int | float:
    stripped = text.strip()
    if spec.type == "int":
        if not re.fullmatch(r"[+-]?\d[\d_]*", stripped):
            raise ValueError
        return int(stripped)
    if not _NUMBER.fullmatch(stripped) or not math.isfinite(float(stripped)):
        raise ValueError
    return float(stripped)


def _parse_list(text: str) -> list[str]:
    if text.strip().startswith("["):
        value = json.loads(text)
        if not all(isinstance(item, str) for item in value):
            raise ValueError
        return value
    return [item.strip() for item in text.split(",") if item.strip()]


def _parse_dict(text: str) -> dict[str, str]:
    value = json.loads(text)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError
    return value


def _as_text(spec: ParameterSpec, value) -> str:
    """A value read from a YAML file as the text ``parse_value`` reads (YAML has typed it already)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):  # YAML reads 2025-11-23 as a date
        return value.isoformat()
    if isinstance(value, (list, dict)) and spec.type in ("list[str]", "dict[str, str]"):
        return json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.date) else repr(v))
    if isinstance(value, bool) and spec.type == "bool":
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and spec.type in ("int", "float", "str"):
        return str(value)
    raise ParameterError(f"parameter '{spec.name}': expected {spec.expected()}, got {value!r}")


def parse_value(spec: ParameterSpec, text):
    """The typed value of ``text`` (a command-line text, or a value read from a YAML file) for ``spec``.

    Raises
    ------
    ParameterError
        naming the parameter, what was expected and what was given.
    """
    text = _as_text(spec, text)
    try:
        if spec.type in ("int", "float"):
            value = _parse_number(spec, text)
        elif spec.type == "bool":
            if text.strip().lower() not in TRUE + FALSE:
                raise ValueError
            value = text.strip().lower() in TRUE
        elif spec.type == "list[str]":
            value = _parse_list(text)
        elif spec.type == "dict[str, str]":
            value = _parse_dict(text)
        else:
            value = text
    except ValueError:  # json.JSONDecodeError is a ValueError
        raise ParameterError(f"parameter '{spec.name}': expected {spec.expected()}, got {text!r}") from None
    out_of_range = ((spec.minimum is not None and value < spec.minimum)
                    or (spec.maximum is not None and value > spec.maximum)) if spec.type in ("int", "float") else False
    if out_of_range or (spec.choices and value not in spec.choices):
        raise ParameterError(f"parameter '{spec.name}': expected {spec.expected()}, got {text!r}")
    return value


def resolve_path(spec: ParameterSpec, value: str, base: Path) -> Path | str:
    """The absolute path of a ``[path]`` parameter's value, relative paths taken from ``base``; "" stays "" (the
    notebook's own default). Raises ``ParameterError`` when nothing is there."""
    if not value:
        return value
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.exists():
        raise ParameterError(f"parameter '{spec.name}': '{value}' does not exist (looked for {path}; a relative "
                             f"path is read from {base})")
    return path.resolve()


def read_parameter_file(path: str | Path) -> dict:
    """The NAME: VALUE mapping of a YAML parameters file (``-f params.yaml``), read with the safe loader."""
    import yaml

    try:
        values = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ParameterError(f"parameters file '{path}': {error.strerror or error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ParameterError(f"parameters file '{path}'{where}: not valid YAML") from None
    if values is None:
        return {}
    if not isinstance(values, dict) or not all(isinstance(name, str) for name in values):
        raise ParameterError(f"parameters file '{path}': expected NAME: VALUE lines (a YAML mapping)")
    return values


def check_parameters(notebooks: list[Path], given: list[tuple[str, str]], file: str | Path | None = None,
                     cwd: Path | None = None) -> dict[Path, dict]:
    """Each notebook's typed parameters from the command line's NAME VALUE pairs and a YAML parameters file, before
    anything runs.

    A name must be declared by at least one of the notebooks; it goes to the notebooks that declare it. A ``-p``
    overrides the file. ``[path]`` values become absolute ``Path`` objects: relative ones are read from ``cwd``
    (default: the working directory) for ``-p``, and from the file's folder for the file. Raises
    ``ParameterError`` for an unknown or repeated name, a reserved one (``corpus``, ``output_dir``), a value that
    does not fit its declaration, or a path that does not exist.
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    declared = {notebook: declared_parameters(notebook) for notebook in notebooks}
    names = [name for name, _ in given]
    from_file = read_parameter_file(file) if file is not None else {}
    entries = [(name, value, Path(file).resolve().parent, f"{file}: ") for name, value in from_file.items()
               if name not in names]
    entries += [(name, value, cwd, "") for name, value in given]
    for name, _, _, where in entries:
        if name in RESERVED:
            raise ParameterError(f"{where}parameter '{name}' is set with the option {RESERVED[name]}, not with -p")
        if names.count(name) > 1:
            raise ParameterError(f"parameter '{name}' is given more than once")
        if not any(name in specs for specs in declared.values()):
            known = sorted({n for specs in declared.values() for n in specs} - set(RESERVED))
            raise ParameterError(f"{where}no notebook of this run has a parameter '{name}' "
                                 + (f"(their parameters: {', '.join(known)})" if known else
                                    "(they have none that -p can set)"))
    values: dict[Path, dict] = {notebook: {} for notebook in notebooks}
    for name, value, base, where in entries:
        for notebook, specs in declared.items():
            if name in specs:
                try:
                    typed = parse_value(specs[name], value)
                    values[notebook][name] = resolve_path(specs[name], typed, base) if specs[name].path else typed
                except ParameterError as error:
                    raise ParameterError(f"{where}{error}") from None
    return values


def describe(notebook: str | Path) -> str:
    """The parameters a notebook declares, as ``newslens params`` prints them: name, type, default, help."""
    specs = declared_parameters(notebook)
    lines = [f"{Path(notebook).stem}: parameters (set with -p NAME VALUE, or NAME: VALUE in a -f file)"]
    for spec in specs.values():
        if spec.name in RESERVED:
            continue
        constraint = f"; {spec.expected()}" if spec.choices or spec.path or spec.minimum is not None \
            or spec.maximum is not None else "; true/false, yes/no or 1/0" if spec.type == "bool" else ""
        lines.append(f"  {spec.name}: {spec.type} = {spec.default}{constraint}")
        if spec.help:
            lines.append(f"      {spec.help}")
    reserved = [f"{name} ({option})" for name, option in RESERVED.items() if name in specs]
    if reserved:
        lines.append(f"  set by options, not -p: {', '.join(reserved)}")
    return "\n".join(lines) + "\n"


def check_values(name: str, values: Iterable[str], allowed: Iterable[str], what: str = "allowed values",
                 suggest_from: Iterable[str] | None = None, max_listed: int = 40) -> None:
    """Raise ``ParameterError`` when a value of the parameter ``name`` is not in ``allowed``.

    For the checks only the notebook can make, once its data is loaded (actor names of the registry, terms that
    occur in the corpus). The message names the parameter and the values that do not fit, says what the allowed
    values are (``what``), lists them (``suggest_from``, default ``allowed``) when there are at most
    ``max_listed``, and suggests close ones.
    """
    known = set(allowed)
    wrong = [value for value in values if value not in known]
    if not wrong:
        return
    candidates = list(dict.fromkeys(known if suggest_from is None else suggest_from))
    parts = []
    for value in wrong:
        close = difflib.get_close_matches(value, candidates, n=3)
        parts.append(repr(value) + (f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""))
    if not candidates:
        listing = ": there are none"
    elif len(candidates) <= max_listed:
        listing = ": " + ", ".join(sorted(candidates))
    else:
        listing = f" ({len(candidates):,} of them)"
    raise ParameterError(f"parameter '{name}': {', '.join(parts)} not among the {what}{listing}")
