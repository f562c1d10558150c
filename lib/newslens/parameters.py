"""Notebook parameters: what each notebook declares, and checking what a user gives against it.

A notebook declares its parameters in the cell tagged ``parameters``, one per line, with a type annotation and a
help comment that may start with a constraint in square brackets::

    top_n: int = 25  # [1 ..] rows in the figures
    method: str = "model"  # [model | vader] the method of mentions.csv
    extra_stopwords: list[str] = []  # e.g. ["said", "also"]

Names, annotations, defaults and help are read by papermill's own parser (``papermill.inspect_notebook``), without
starting a kernel. Types: ``int``, ``float``, ``bool``, ``str``, ``list[str]``, ``dict[str, str]`` (a parameter
without an annotation takes the type of its default). Constraints: ``[LOW ..]``, ``[.. HIGH]``, ``[LOW .. HIGH]``
(inclusive) for numbers, ``[a | b | c]`` for the allowed values of a string.

``parse_value`` turns a command-line value into a typed one or raises ``ParameterError`` naming the parameter, the
expected type and the allowed values; ``check_parameters`` does it for every notebook of a run, before any runs.
"""
from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

TYPES = ("int", "float", "bool", "str", "list[str]", "dict[str, str]")
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
# Set by the runner's own options: a -p for them would be silently overridden.
RESERVED = {"corpus": "--corpus", "output_dir": "--out"}
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

    def expected(self) -> str:
        """The expected value in words, e.g. "a whole number (int) from 1" or "one of: model, vader"."""
        words = {"int": "a whole number (int)", "float": "a number (float)", "bool": "true or false (bool)",
                 "str": "a text (str)", "list[str]": 'a list of texts (list[str]: a,b or ["a", "b"])',
                 "dict[str, str]": 'a JSON object of texts (dict[str, str], e.g. {"a": "b"})'}[self.type]
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


def parse_value(spec: ParameterSpec, text: str):
    """The typed value of ``text`` for ``spec``.

    Raises
    ------
    ParameterError
        naming the parameter, what was expected and what was given.
    """
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


def check_parameters(notebooks: list[Path], given: list[tuple[str, str]]) -> dict[Path, dict]:
    """Each notebook's typed parameters from the command line's NAME VALUE pairs, before anything runs.

    A name must be declared by at least one of the notebooks; it goes to the notebooks that declare it. Raises
    ``ParameterError`` for an unknown or repeated name, a reserved one (``corpus``, ``output_dir``), or a value
    that does not fit its declaration.
    """
    declared = {notebook: declared_parameters(notebook) for notebook in notebooks}
    names = [name for name, _ in given]
    for name in names:
        if name in RESERVED:
            raise ParameterError(f"parameter '{name}' is set with the option {RESERVED[name]}, not with -p")
        if names.count(name) > 1:
            raise ParameterError(f"parameter '{name}' is given more than once")
        if not any(name in specs for specs in declared.values()):
            known = sorted({n for specs in declared.values() for n in specs} - set(RESERVED))
            raise ParameterError(f"no notebook of this run has a parameter '{name}' "
                                 + (f"(their parameters: {', '.join(known)})" if known else
                                    "(they have none that -p can set)"))
    values: dict[Path, dict] = {}
    for notebook, specs in declared.items():
        values[notebook] = {name: parse_value(specs[name], text) for name, text in given if name in specs}
    return values
