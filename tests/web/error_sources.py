"""The error messages written in the code, found with `ast`: what tests/web/test_error_words.py
checks against the web layer's table of translations (web/pages/error_words.py).

A message is the first argument of a call to an error class (a subclass of HopError, found by
its bases across the packages; ValueError, which the models' validators raise and the domain
passes on; HTTPException's `detail=`), written as a string, an f-string or a sum of them.
An f-string's placeholders become samples ("X1", …), except a placeholder that is a parameter
of the function it is in: then every constant that function is called with in the module is
a sample (speakers' `_require_status(…, "Only a waiting request can be moved")`).
"""

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("meetings", "checkin", "voting", "records", "core", "models", "web")
BASE_ERRORS = frozenset({"HopError", "ValueError"})


@dataclass(frozen=True)
class Message:
    """A message written at a place: its samples, or none when it is built at run time."""

    where: str
    kind: str  # the error class, or "detail" for HTTPException's keyword
    code: str
    samples: tuple[str, ...] | None


def modules(packages: tuple[str, ...] = PACKAGES) -> Iterator[tuple[str, ast.Module]]:
    """Each module of the packages, parsed, with its path from the repository's root."""
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            yield where, ast.parse(path.read_text(encoding="utf-8"), filename=where)


def error_classes(trees: list[ast.Module]) -> frozenset[str]:
    """Every class deriving, by name, from HopError or ValueError, and those two."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {name_of(base) for base in node.bases}
    found = set(BASE_ERRORS)
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return frozenset(found)
        found |= more


def name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def messages() -> list[Message]:
    """Every error message written in the packages."""
    parsed = list(modules())
    classes = error_classes([tree for _, tree in parsed])
    found: list[Message] = []
    for where, tree in parsed:
        params = _builder_params(tree, classes)
        for function, node in _calls(tree):
            expr = _message_of(node, classes)
            if expr is None:
                continue
            known = params.get(function, {}) if function else {}
            line = f"{where}:{node.lineno}"
            kind = "detail" if expr not in node.args else name_of(node.func)
            found.append(Message(line, kind, ast.unparse(expr), _samples(expr, known)))
    return found


def _calls(tree: ast.Module) -> Iterator[tuple[str | None, ast.Call]]:
    """Each call in the module with the name of the function it is written in."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call):
                    yield node.name, inner
    for node in tree.body:  # calls at module level (rare)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call):
                    yield None, inner


def _message_of(call: ast.Call, classes: frozenset[str]) -> ast.expr | None:
    """The message a call carries when it makes an error; None for any other call."""
    detail = next((k.value for k in call.keywords if k.arg == "detail"), None)
    if detail is not None and _stringish(detail):
        return detail  # HTTPException(status_code=…, detail="…") and super().__init__(…)
    if name_of(call.func) in classes and call.args:
        return call.args[0]
    return None


def _stringish(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _samples(expr: ast.expr, params: dict[str, list[str]]) -> tuple[str, ...] | None:
    """The texts a message can be, with X1, X2… for what is only known at run time."""
    counter = itertools.count(1)
    parts = _parts(expr, params, counter)
    if parts is None:
        return None
    return tuple("".join(choice) for choice in itertools.product(*parts))


def _parts(
    expr: ast.expr, params: dict[str, list[str]], counter: Iterator[int]
) -> list[list[str]] | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [[expr.value]]
    if isinstance(expr, ast.JoinedStr):
        parts: list[list[str]] = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append([str(value.value)])
            elif isinstance(value, ast.FormattedValue):
                name = value.value.id if isinstance(value.value, ast.Name) else ""
                parts.append(params.get(name) or [f"X{next(counter)}"])
        return parts
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = _parts(expr.left, params, counter), _parts(expr.right, params, counter)
        return [*(left or [[f"X{next(counter)}"]]), *(right or [[f"X{next(counter)}"]])]
    return None


def _builder_params(tree: ast.Module, classes: frozenset[str]) -> dict[str, dict[str, list[str]]]:
    """For each function whose error message uses one of its parameters, the constants that
    parameter is given by the calls in the module: {function: {parameter: [texts]}}."""
    functions = {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    result: dict[str, dict[str, list[str]]] = {}
    for name, function in functions.items():
        names = [arg.arg for arg in function.args.args + function.args.kwonlyargs]
        used = _parameters_in_messages(function, classes) & set(names)
        if used:
            result[name] = {param: _given(tree, name, names, param) for param in used}
    return result


def _parameters_in_messages(function: ast.AST, classes: frozenset[str]) -> set[str]:
    used: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            expr = _message_of(node, classes)
            if expr is not None:
                used |= {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
    return used


def _given(tree: ast.Module, function: str, names: list[str], param: str) -> list[str]:
    """Each text the module passes to `function` as `param` (f-strings as samples)."""
    texts: list[str] = []
    position = names.index(param)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and name_of(node.func) == function:
            given = [k.value for k in node.keywords if k.arg == param]
            if not given and len(node.args) > position:
                given = [node.args[position]]
            for expr in given:
                texts.extend(_samples(expr, {}) or ())
    return texts
