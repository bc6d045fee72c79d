#!/usr/bin/env python3
"""Keep the plugin's translation catalogue in step with its source.

Usage: scripts/update_translations.py [--check]

Reads building_area_plugin/ with Python's ast module (no QGIS needed) and collects
  - every tr("literal") of the QGIS layer (context BuildingArea);
  - the message templates of the core and of the other plain-Python messages (context
    building_area_messages): what `raise SomeError(...)`, the run log (log.add, log.warn, log(...)),
    progress texts and feedback.push*() receive, and what the message-making functions they call
    return (names ending in text, message, hint, summary, missing). An f-string becomes a template
    with Qt's %1, %2, ... for its values: f"Input raster not found: '{path}'." ->
    "Input raster not found: '%1'.". Values that are themselves messages (a reason, a hint) are
    templates of their own.
Then it writes building_area_plugin/message_templates.py (the templates, which the plugin matches
messages against at run time, see building_area_plugin/translation.py) and updates
building_area_plugin/i18n/building_area_ru.ts: new strings are added as unfinished, translations
of strings that still exist are kept, strings gone from the source are dropped.

--check changes nothing and exits with 1 when either file is out of date (tests run it).
Translate the unfinished entries in Qt Linguist (`linguist building_area_plugin/i18n/building_area_ru.ts`)
or by hand: keep %1, %2, ... and Python's {} placeholders as they are.
"""
import argparse
import ast
import os
import re
import sys
import xml.etree.ElementTree as ElementTree
from typing import Dict, Iterable, List, Optional, Sequence, Tuple
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN_DIR = os.path.join(ROOT, "building_area_plugin")
TS_FILES = [os.path.join(PLUGIN_DIR, "i18n", "building_area_ru.ts")]
TEMPLATES_FILE = os.path.join(PLUGIN_DIR, "message_templates.py")
UI_CONTEXT = "BuildingArea"  # = translation.CONTEXT
MESSAGES_CONTEXT = "building_area_messages"  # = translation.MESSAGES_CONTEXT
TEMPLATE_COMMENT = "%1, %2, ... are values filled in at run time (names, paths, numbers, other messages)."

# Calls whose (second, for progress) argument is a message.
MESSAGE_METHODS = {"pushInfo", "pushWarning", "reportError", "setProgressText", "append"}
LOG_METHODS = {"add", "warn"}  # on a name called log (the core's RunLog)
# Functions and methods whose returned strings are messages even where no rule above reaches them.
MESSAGE_FUNCTION = re.compile(r"(text|message|hint|summary|missing)$")
MIN_LETTERS = 4  # templates with fewer letters outside the placeholders carry nothing to translate

NOT_SCANNED = ("message_templates.py", "translation.py")  # the catalogue and its machinery
PLACEHOLDER = None  # a value inside a template (a part of a template is a str or PLACEHOLDER)
Template = Tuple[Optional[str], ...]


def python_files(folder: str) -> List[str]:
    files = []
    for parent, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        files += [os.path.join(parent, name) for name in sorted(names) if name.endswith(".py")]
    return [path for path in files if os.path.basename(path) not in NOT_SCANNED]


def template_text(template: Template) -> str:
    number, out = 0, []
    for part in template:
        if part is PLACEHOLDER:
            number += 1
            out.append(f"%{number}")
        else:
            out.append(part)
    return "".join(out)


def letters(template: Template) -> int:
    return sum(ch.isalpha() for part in template if part is not PLACEHOLDER for ch in part)


def is_phrase(template: Template) -> bool:
    """Words with values in them, or several words: not a bare name or key."""
    return PLACEHOLDER in template or any(" " in part.strip() for part in template)


def merge_literals(template: Sequence[Optional[str]]) -> Template:
    out: List[Optional[str]] = []
    for part in template:
        if part == "":
            continue
        if part is not PLACEHOLDER and out and out[-1] is not PLACEHOLDER:
            out[-1] += part
        else:
            out.append(part)
    return tuple(out)


def is_tr_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name in ("tr", "translate", "translate_message")


def call_name(node: ast.Call) -> Optional[str]:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


class Source:
    """The package's modules, parsed, with indexes of functions and module-level string constants."""

    def __init__(self, plugin_dir: str):
        self.plugin_dir = plugin_dir
        self.modules: Dict[str, ast.Module] = {}
        self.functions: Dict[str, List[Tuple[str, ast.AST]]] = {}
        self.constants: Dict[str, Dict[str, ast.AST]] = {}
        self.calls: Dict[str, List[Tuple[str, ast.Call, Optional[ast.AST]]]] = {}
        for path in python_files(plugin_dir):
            with open(path, encoding="utf-8") as stream:
                tree = ast.parse(stream.read(), filename=path)
            self.modules[path] = tree
            self.constants[path] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    self.constants[path][node.targets[0].id] = node.value
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.setdefault(node.name, []).append((path, node))
            self._index_calls(tree, path, None)

    def _index_calls(self, node: ast.AST, path: str, scope: Optional[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call) and call_name(child):
                self.calls.setdefault(call_name(child), []).append((path, child, scope))
            self._index_calls(child, path, child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                              else scope)

    def arguments(self, function: ast.AST, parameter: str) -> List[Tuple[str, ast.AST, Optional[ast.AST]]]:
        """What the package's calls of ``function`` pass as ``parameter``: (path, expression, scope)."""
        names = [argument.arg for argument in function.args.args]
        if parameter not in names:
            return []
        position = names.index(parameter) - (1 if names and names[0] in ("self", "cls") else 0)
        found = []
        for path, call, scope in self.calls.get(function.name, []):
            keyword = next((k.value for k in call.keywords if k.arg == parameter), None)
            if keyword is not None:
                found.append((path, keyword, scope))
            elif 0 <= position < len(call.args) and not isinstance(call.args[position], ast.Starred):
                found.append((path, call.args[position], scope))
        return found

    def relative(self, path: str) -> str:
        return os.path.relpath(path, os.path.dirname(self.plugin_dir))


class TemplateCollector:
    """The message templates of the source, in the order met (file by file, top to bottom)."""

    def __init__(self, source: Source):
        self.source = source
        self.templates: Dict[str, str] = {}  # text -> first location
        self._expanding: set = set()

    # -- what a message expression can evaluate to -------------------------------------------
    def evaluate(self, node: ast.AST, path: str, scope: Optional[ast.AST]) -> List[Template]:
        """The templates ``node`` can produce; [] when it is not a string made here (a parameter, a
        library's text). Templates found inside placeholders are collected on the way."""
        if isinstance(node, ast.Constant):
            return [(node.value,)] if isinstance(node.value, str) else []
        if is_tr_call(node):
            return []  # translated by tr() itself
        if isinstance(node, ast.JoinedStr):
            parts: List[Optional[str]] = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(value.value)
                else:
                    parts.append(PLACEHOLDER)
                    self.collect(value.value, path, scope)
            return [merge_literals(parts)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            if is_tr_call(node.left) or is_tr_call(node.right):
                self.collect(node.left, path, scope)
                self.collect(node.right, path, scope)
                return []
            left = self.evaluate(node.left, path, scope) or [(PLACEHOLDER,)]
            right = self.evaluate(node.right, path, scope) or [(PLACEHOLDER,)]
            return [merge_literals(a + b) for a in left for b in right]
        if isinstance(node, ast.IfExp):
            self.collect(node.test, path, scope)
            return self.evaluate(node.body, path, scope) + self.evaluate(node.orelse, path, scope)
        if isinstance(node, ast.BoolOp):
            return [t for value in node.values for t in self.evaluate(value, path, scope)]
        if isinstance(node, ast.Call):  # a message-making function of the package: what it returns
            name = call_name(node)
            return self.returns(name) if name in self.source.functions else []
        if isinstance(node, ast.Name):
            return self.name_values(node.id, path, scope)
        return []  # an attribute, a subscript, ...: data, not a message

    def collect(self, node: ast.AST, path: str, scope: Optional[ast.AST]) -> None:
        for template in self.evaluate(node, path, scope):
            self.add(template, path, node)

    def add(self, template: Template, path: str, node: ast.AST) -> None:
        if letters(template) >= MIN_LETTERS:
            text = template_text(template)
            self.templates.setdefault(text, f"{self.source.relative(path)}:{getattr(node, 'lineno', 0)}")

    def name_values(self, name: str, path: str, scope: Optional[ast.AST]) -> List[Template]:
        key = (id(scope), path, name)
        if key in self._expanding:  # x = f(x)
            return []
        self._expanding.add(key)
        try:
            return self._name_values(name, path, scope)
        finally:
            self._expanding.discard(key)

    def _name_values(self, name: str, path: str, scope: Optional[ast.AST]) -> List[Template]:
        if scope is not None:
            values: List[Template] = []
            assigned = False
            for node in ast.walk(scope):
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                        for t in node.targets):
                    assigned = True
                    values += self.evaluate(node.value, path, scope)
                elif (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add)
                      and isinstance(node.target, ast.Name) and node.target.id == name):
                    added = self.evaluate(node.value, path, scope) or [(PLACEHOLDER,)]
                    values += [merge_literals(base + extra) for base in list(values) for extra in added]
            if assigned:
                return values
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # A parameter: what the callers pass, when it is a phrase ("create the mask"), not data.
                for caller_path, argument, caller_scope in self.source.arguments(scope, name):
                    for template in self.evaluate(argument, caller_path, caller_scope):
                        if is_phrase(template):
                            self.add(template, caller_path, argument)
                if any(a.arg == name for a in scope.args.args + scope.args.kwonlyargs):
                    return []
        constant = self.source.constants.get(path, {}).get(name)
        if constant is None:  # imported from another module of the package
            constant = next((c[name] for c in self.source.constants.values() if name in c), None)
        # A constant inside a message is part of it when it is a phrase (_REGENERATE), not a name ("detections").
        return [t for t in self.evaluate(constant, path, None) if is_phrase(t)] if constant is not None else []

    def returns(self, name: str) -> List[Template]:
        if name in self._expanding:
            return []
        self._expanding.add(name)
        try:
            values: List[Template] = []
            for path, function in self.source.functions.get(name, []):
                for node in ast.walk(function):
                    if isinstance(node, ast.Return) and node.value is not None:
                        values += self.evaluate(node.value, path, function)
            return values
        finally:
            self._expanding.discard(name)

    # -- where messages are made --------------------------------------------------------------
    def run(self) -> Dict[str, str]:
        for path, tree in self.source.modules.items():
            self._visit(tree, path, None)
        return self.templates

    def _visit(self, node: ast.AST, path: str, scope: Optional[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            child_scope = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and MESSAGE_FUNCTION.search(child.name):
                for value in ast.walk(child):
                    if isinstance(value, ast.Return) and value.value is not None:
                        self.collect(value.value, path, child)
            if isinstance(child, ast.Raise) and isinstance(child.exc, ast.Call) and child.exc.args:
                self.collect(child.exc.args[0], path, scope)
            elif isinstance(child, ast.Call):
                for argument in self._message_arguments(child):
                    self.collect(argument, path, scope)
            self._visit(child, path, child_scope)

    @staticmethod
    def _message_arguments(call: ast.Call) -> Iterable[ast.AST]:
        func, args = call.func, call.args
        if isinstance(func, ast.Attribute):
            receiver = func.value.id if isinstance(func.value, ast.Name) else None
            if func.attr in MESSAGE_METHODS and args:
                return args[:1]
            if func.attr in LOG_METHODS and receiver == "log" and args:
                return args[:1]
            if func.attr == "_progress" and len(args) >= 2:
                return args[1:2]
        elif isinstance(func, ast.Name):
            if func.id == "log" and args:
                return args[:1]
            if func.id in ("progress", "TileProgress") and len(args) >= 2:
                return args[1:2]
        return []


def ui_strings(source: Source) -> Dict[str, str]:
    """tr("literal") of the QGIS layer, with the first location of each (a name of a module-level
    string constant counts as its literal: tr(SHORT_HELP))."""
    found: Dict[str, str] = {}
    problems = []
    core = os.path.join(source.plugin_dir, "core") + os.sep
    for path, tree in source.modules.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"):
                continue
            if path.startswith(core):
                problems.append(f"{source.relative(path)}:{node.lineno}: the core must stay free of Qt: no tr() there")
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Name):
                argument = source.constants[path].get(argument.id)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.setdefault(argument.value, f"{source.relative(path)}:{node.lineno}")
            else:
                problems.append(f"{source.relative(path)}:{node.lineno}: tr() needs a string literal "
                                f"(or a module-level string constant), so that it can be extracted")
    if problems:
        raise SystemExit("\n".join(problems))
    return found


def message_templates(source: Source) -> Dict[str, str]:
    return TemplateCollector(source).run()


# -- the files ------------------------------------------------------------------------------------

def templates_module(templates: Iterable[str]) -> str:
    lines = ['"""Message templates of the plugin\'s plain-Python messages, for translation.py.',
             "",
             "Generated by scripts/update_translations.py from the source: do not edit. %1, %2, ... stand",
             'for the values a message carries."""',
             "",
             "TEMPLATES = ("]
    lines += [f"    {text!r}," for text in sorted(templates, key=lambda source: (source.lower(), source))]
    lines += [")", ""]
    return "\n".join(lines)


def read_ts(path: str) -> Dict[Tuple[str, str], Tuple[str, bool]]:
    """(context, source) -> (translation, finished) of an existing .ts file."""
    if not os.path.isfile(path):
        return {}
    entries = {}
    root = ElementTree.parse(path).getroot()  # our own file in the repository
    for context in root.iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            text = (translation.text or "") if translation is not None else ""
            finished = translation is not None and translation.get("type") not in ("unfinished", "vanished",
                                                                                    "obsolete")
            entries[(name, message.findtext("source", ""))] = (text, finished and bool(text))
    return entries


def language_of(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0].rpartition("_")[2]


def ts_text(path: str, contexts: Sequence[Tuple[str, Dict[str, str], str]],
            old: Dict[Tuple[str, str], Tuple[str, bool]]) -> str:
    """The .ts file: each context's strings in source order, with their old translations."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
             f'<TS version="2.1" language="{language_of(path)}" sourcelanguage="en">']
    for context, strings, comment in contexts:
        lines += ["<context>", f"    <name>{context}</name>"]
        # Sorted, and located by file only: moving code around leaves the file as it is.
        for text in sorted(strings, key=lambda source: (source.lower(), source)):
            filename = strings[text].rpartition(":")[0]
            translation, finished = old.get((context, text), ("", False))
            state = "" if finished else ' type="unfinished"'
            lines += ["    <message>",
                      f'        <location filename="../../{filename}"/>',
                      f"        <source>{escape(text)}</source>"]
            if comment:
                lines.append(f"        <comment>{escape(comment)}</comment>")
            lines += [f"        <translation{state}>{escape(translation)}</translation>", "    </message>"]
        lines.append("</context>")
    lines += ["</TS>", ""]
    return "\n".join(lines)


def expected_files(plugin_dir: str = PLUGIN_DIR, ts_files: Sequence[str] = TS_FILES) -> Dict[str, str]:
    source = Source(plugin_dir)
    ui = ui_strings(source)
    templates = message_templates(source)
    files = {os.path.join(plugin_dir, "message_templates.py"): templates_module(templates)}
    for path in ts_files:
        files[path] = ts_text(path, [(UI_CONTEXT, ui, ""), (MESSAGES_CONTEXT, templates, TEMPLATE_COMMENT)],
                              read_ts(path))
    return files


def unfinished(path: str) -> List[Tuple[str, str]]:
    return [key for key, (_, finished) in read_ts(path).items() if not finished]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected_files().items():
        current = open(path, encoding="utf-8").read() if os.path.isfile(path) else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(text)
            print(f"updated {os.path.relpath(path, ROOT)}")
    if args.check and stale:
        print("Out of date: " + ", ".join(os.path.relpath(p, ROOT) for p in stale)
              + ". Run scripts/update_translations.py and translate the new entries.", file=sys.stderr)
        return 1
    for path in TS_FILES:
        missing = unfinished(path)
        if missing:
            print(f"{os.path.relpath(path, ROOT)}: {len(missing)} entries to translate", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
