"""The audit trail names each action in words, in both languages: every action code the code
records (found with `ast`) has a name; an unknown code is shown as itself."""

import ast
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.audit import audit
from models import Role
from tests.factories import login, make_user
from tests.web.error_sources import modules, name_of
from web.i18n import Translator
from web.pages.audit import ACTIONS, TARGETS

PACKAGES = ("meetings", "checkin", "voting", "records", "core", "web", "cli", "demo")

Function = ast.FunctionDef | ast.AsyncFunctionDef


class Module:
    """One module's functions and constants, to follow an action code from the audit() call
    back to the constants the module's calls pass it."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.functions: dict[str, Function] = {
            node.name: node for node in ast.walk(tree) if isinstance(node, Function)
        }
        self.constants = {
            target.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }

    def codes(self) -> set[str]:
        found: set[str] = set()
        for function, call in self._audit_calls():
            action = next((k.value for k in call.keywords if k.arg == "action"), None)
            if action is not None:
                found |= self._resolve(action, function, call, depth=0)
        return found

    def _audit_calls(self) -> Iterator[tuple[Function | None, ast.Call]]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and name_of(node.func) == "audit":
                yield self._enclosing(node), node

    def _enclosing(self, target: ast.AST) -> Function | None:
        inner = [f for f in self.functions.values() if any(n is target for n in ast.walk(f))]
        return min(inner, key=lambda f: len(list(ast.walk(f))), default=None)

    def _resolve(
        self, expr: ast.expr, function: Function | None, at: ast.AST, depth: int
    ) -> set[str]:
        """The strings an expression can be: constants, or a parameter's values at the calls."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.Tuple | ast.List | ast.Set):
            return {s for e in expr.elts for s in self._resolve(e, function, at, depth)}
        if isinstance(expr, ast.Call) and name_of(expr.func) in {"frozenset", "set", "tuple"}:
            return {s for e in expr.args for s in self._resolve(e, function, at, depth)}
        if isinstance(expr, _Element):
            return self._element(expr, function, at, depth)
        if not isinstance(expr, ast.Name) or function is None or depth > 4:
            return set()
        guard = self._guard(function, expr.id, at)
        if guard is not None:  # `if type in AUDITED:` audits only those
            return self._resolve(guard, None, at, depth)
        return self._given(function, _parameters(function).index(expr.id), depth)

    def _element(
        self, expr: "_Element", function: Function | None, at: ast.AST, depth: int
    ) -> set[str]:
        # *audited where audited=("minutes.finalised", person) at the calls: that element.
        found: set[str] = set()
        for source in self._sources(expr.value, function):
            if isinstance(source, ast.Tuple) and 0 <= expr.index < len(source.elts):
                found |= self._resolve(source.elts[expr.index], None, at, depth)
        return found

    def _sources(self, expr: ast.expr, function: Function | None) -> list[ast.expr]:
        """The expressions the module's calls pass for a parameter (one level)."""
        if not isinstance(expr, ast.Name) or function is None:
            return [expr]
        index = _parameters(function).index(expr.id)
        return [
            arg
            for call in ast.walk(self.tree)
            if isinstance(call, ast.Call) and name_of(call.func) == function.name
            for arg in _argument(call, index, expr.id)
        ]

    def _guard(self, function: Function, name: str, at: ast.AST) -> ast.expr | None:
        for node in ast.walk(function):
            if (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Compare)
                and name_of(node.test.left) == name
                and isinstance(node.test.ops[0], ast.In)
                and any(inner is at for stmt in node.body for inner in ast.walk(stmt))
            ):
                return self.constants.get(name_of(node.test.comparators[0]))
        return None

    def _given(self, function: Function, index: int, depth: int) -> set[str]:
        """What the module's calls of `function` pass as its parameter number `index`."""
        param = _parameters(function)[index]
        found: set[str] = set()
        for call in ast.walk(self.tree):
            if not (isinstance(call, ast.Call) and name_of(call.func) == function.name):
                continue
            caller = self._enclosing(call)
            for expr in _argument(call, index, param):
                found |= self._resolve(expr, caller, call, depth + 1)
        return found


def _argument(call: ast.Call, index: int, param: str) -> list[ast.expr]:
    keyword = [k.value for k in call.keywords if k.arg == param]
    if keyword:
        return keyword
    for position, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):  # f(a, *pair): the pair's element at the rest
            return [_Element(arg.value, index - position)]
        if position == index:
            return [arg]
    return []


class _Element(ast.expr):
    """An element of a sequence passed with *: resolved to that element of each tuple."""

    def __init__(self, value: ast.expr, index: int) -> None:
        super().__init__()
        self.value = value
        self.index = index


def _parameters(function: Function) -> list[str]:
    args = function.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def recorded_codes() -> set[str]:
    codes: set[str] = set()
    for _, tree in modules(PACKAGES):
        codes |= {code for code in Module(tree).codes() if "." in code}
    return codes


def test_the_scan_follows_codes_through_helpers() -> None:
    codes = recorded_codes()
    assert {"auth.login", "access.denied"} <= codes  # action="…"
    assert {"poll.opened", "poll.published"} <= codes  # _event → `if type in AUDITED`
    assert "poll.updated" not in codes  # an event that is not audited
    assert "minutes.finalised" in codes  # _save(audited=(…)) → _audit(*audited)


def test_every_recorded_action_has_a_name() -> None:
    assert sorted(recorded_codes() - set(ACTIONS)) == []


def test_the_names_are_in_both_languages() -> None:
    vi, en = Translator().gettext("vi"), Translator().gettext("en")
    for name in (*ACTIONS.values(), *TARGETS.values()):
        assert vi(name) != name
        assert en(name) == name


@pytest.mark.parametrize(("lang", "name"), [("vi", "Mở biểu quyết"), ("en", "Vote opened")])
def test_the_audit_page_names_actions(
    client: TestClient, session: Session, lang: str, name: str
) -> None:
    admin = make_user(session, role=Role.admin)
    audit(session, action="poll.opened", target_type="poll", target_id=7)
    audit(session, action="something.new", target_type="widget", target_id=1)
    session.commit()
    login(client, admin)
    page = client.get(f"/admin/audit?lang={lang}").text
    assert name in page
    assert "<code>poll.opened</code>" in page  # the code stays, for searching
    assert "something.new" in page  # unknown: its code
