"""QGIS 4 / Qt 6 readiness: the code runs on Qt 5 (QGIS 3.22 ... 3.x) and on Qt 6 (QGIS 4).

QGIS's migration script (scripts/pyqt5_to_pyqt6/pyqt5_to_pyqt6.py in QGIS's source) is not packaged by
Debian; this is the same scan as a test. It reads the plugin, the scripts QGIS runs and the QGIS tests
with Python's ast module and fails on what breaks under PyQt6:
  - PyQt5/PyQt6/sip imported directly instead of through qgis.PyQt;
  - enums not fully scoped (Qt.AlignLeft, QMessageBox.Ok, QgsTask.CanCancel: PyQt6 has only
    Qt.AlignmentFlag.AlignLeft, ...): found by looking every Class.Name up in this machine's PyQt5/QGIS
    and asking whether it is an enum member (both sip enums and Python enums);
  - exec_(), print_(), qApp, QDesktopWidget/desktop(), QRegExp, Qt.MidButton and the other
    renamed enum members, activated[str], fontMetrics().width(), compiled resources_rc;
  - QAction/QActionGroup/QShortcut from QtGui (Qt 6's place, which Qt 5 QGIS 3.22 lacks; QGIS keeps
    them importable from qgis.PyQt.QtWidgets under Qt 6 as well).
metadata.txt claims supportsQt6=True and QGIS 3.22 to 4.99 on the strength of this scan and of CI
(QGIS 3.22 on Debian 12, 3.40 on Debian 13).
"""
import ast
import configparser
import enum
import importlib
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCANNED = ["building_area_plugin", "scripts", os.path.join("tests", "qgis"), "tests/test_qt6_ready.py"]
QT_MODULES = ("qgis.PyQt.", "qgis.core", "qgis.gui", "qgis.analysis")
DIRECT = ("PyQt5", "PyQt6", "sip", "PySide2", "PySide6")
REMOVED_NAMES = {
    "QRegExp": "QRegExp is gone in Qt 6: use QRegularExpression",
    "QRegExpValidator": "QRegExpValidator is gone in Qt 6: use QRegularExpressionValidator",
    "QDesktopWidget": "QDesktopWidget is gone in Qt 6: use QScreen (QApplication.primaryScreen())",
    "qApp": "qApp is gone in PyQt 6: use QApplication.instance()",
    "QMatrix": "QMatrix is gone in Qt 6: use QTransform",
    "QTextCodec": "QTextCodec is gone from Qt 6's core",
    "QSound": "QSound is gone in Qt 6",
    "QGLWidget": "QGLWidget is gone in Qt 6: use QOpenGLWidget",
}
RENAMED_MEMBERS = {
    ("Qt", "MidButton"): "Qt.MouseButton.MiddleButton",
    ("Qt", "TextColorRole"): "Qt.ItemDataRole.ForegroundRole",
    ("Qt", "BackgroundColorRole"): "Qt.ItemDataRole.BackgroundRole",
    ("QPainter", "HighQualityAntialiasing"): "QPainter.RenderHint.Antialiasing",
}
REMOVED_METHODS = {"exec_": "exec()", "print_": "print()", "desktop": "QApplication.primaryScreen()"}
MOVED_TO_QTGUI = {"QAction", "QActionGroup", "QShortcut"}


def python_files():
    for entry in SCANNED:
        path = os.path.join(ROOT, entry)
        if os.path.isfile(path):
            yield path
            continue
        for parent, folders, names in os.walk(path):
            folders[:] = [name for name in folders if name != "__pycache__"]
            yield from (os.path.join(parent, name) for name in sorted(names) if name.endswith(".py"))


def is_enum_member(value) -> bool:
    """A member of a sip enum (PyQt5, QGIS 3) or of a Python enum (PyQt6, QGIS's newer enums)."""
    return isinstance(value, enum.Enum) or type(type(value)).__name__ == "enumtype"


def is_enum_type(value) -> bool:
    return isinstance(value, type) and (issubclass(value, enum.Enum) or type(value).__name__ == "enumtype")


class Scan(ast.NodeVisitor):
    """Problems of one file, as 'path:line: what'."""

    def __init__(self, path: str, source: str):
        self.path = os.path.relpath(path, ROOT)
        self.tree = ast.parse(source, filename=path)
        self.imported = {}  # name in the file -> the object it was imported as
        self.problems = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                self._import_from(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self._module(node, alias.name)

    def run(self):
        self.visit(self.tree)
        return self.problems

    def report(self, node, text: str) -> None:
        self.problems.append(f"{self.path}:{node.lineno}: {text}")

    def _module(self, node, module: str) -> None:
        if module.split(".")[0] in DIRECT:
            self.report(node, f"import {module}: import it from qgis.PyQt (e.g. from qgis.PyQt import sip)")

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._module(node, module)
        if module == "qgis.PyQt.Qt":
            self.report(node, "qgis.PyQt.Qt is gone in Qt 6: import Qt from qgis.PyQt.QtCore")
        for alias in node.names:
            if alias.name in REMOVED_NAMES:
                self.report(node, REMOVED_NAMES[alias.name])
            if alias.name == "resources_rc":
                self.report(node, "compiled resources (resources_rc) are gone in Qt 6: load files by path")
            if module == "qgis.PyQt.QtGui" and alias.name in MOVED_TO_QTGUI:
                self.report(node, f"{alias.name} from QtGui fails on QGIS 3.22 (Qt 5): import it from "
                                  f"qgis.PyQt.QtWidgets, which works on Qt 5 and Qt 6")
            if node.level == 0 and module.startswith(QT_MODULES) and alias.name != "*":
                try:
                    self.imported[alias.asname or alias.name] = getattr(importlib.import_module(module), alias.name)
                except (ImportError, AttributeError):
                    self.report(node, f"{module} has no {alias.name} here (QGIS {qgis_version()})")

    def resolve(self, node):
        """The Qt/QGIS object an expression names (Qt, Qt.AlignmentFlag, ...), or None."""
        if isinstance(node, ast.Name):
            return self.imported.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self.resolve(node.value)
            return getattr(owner, node.attr, None) if owner is not None else None
        return None

    def visit_Attribute(self, node: ast.Attribute):  # noqa: N802 (ast visitor)
        owner = self.resolve(node.value)
        if owner is not None and not is_enum_type(owner):
            if is_enum_member(getattr(owner, node.attr, None)):
                scope = type(getattr(owner, node.attr)).__name__
                self.report(node, f"unscoped enum {ast.unparse(node)}: write {ast.unparse(node.value)}."
                                  f"{scope.rsplit('.', 1)[-1]}.{node.attr}")
        if isinstance(node.value, ast.Name) and (node.value.id, node.attr) in RENAMED_MEMBERS:
            self.report(node, f"{ast.unparse(node)} is gone in Qt 6: {RENAMED_MEMBERS[(node.value.id, node.attr)]}")
        if node.attr in REMOVED_METHODS and isinstance(getattr(node, "parent_call", None), ast.Call):
            self.report(node, f".{node.attr}() is gone in PyQt 6: {REMOVED_METHODS[node.attr]}")
        if (node.attr == "width" and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "fontMetrics"):
            self.report(node, "QFontMetrics.width() is gone in Qt 6: use horizontalAdvance()")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call):  # noqa: N802
        if isinstance(node.func, ast.Attribute):
            node.func.parent_call = node
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name):  # noqa: N802
        if node.id in ("qApp",):
            self.report(node, REMOVED_NAMES["qApp"])

    def visit_FunctionDef(self, node):  # noqa: N802
        if node.name in REMOVED_METHODS and node.name != "desktop":
            self.report(node, f"def {node.name}: PyQt 6 calls {REMOVED_METHODS[node.name]}")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript):  # noqa: N802
        if (isinstance(node.value, ast.Attribute) and node.value.attr == "activated"
                and isinstance(node.slice, ast.Name) and node.slice.id == "str"):
            self.report(node, "activated[str] is gone in Qt 6: use textActivated")
        self.generic_visit(node)


def qgis_version() -> str:
    from qgis.core import Qgis

    return Qgis.QGIS_VERSION


def scan_source(source: str, path: str = os.path.join(ROOT, "example.py")):
    return Scan(path, source).run()


def test_the_scan_finds_what_breaks_under_qt6():
    problems = scan_source(
        "from PyQt5.QtCore import QTimer\n"
        "from qgis.PyQt.QtCore import Qt, QRegExp\n"
        "from qgis.PyQt.QtGui import QAction\n"
        "from qgis.PyQt.QtWidgets import QMessageBox, QDialog\n"
        "from qgis.core import QgsTask\n"
        "a = Qt.AlignLeft\n"
        "b = QMessageBox.Ok\n"
        "c = QgsTask.CanCancel\n"
        "QDialog().exec_()\n"
        "d = Qt.MidButton\n"
        "ok = Qt.AlignmentFlag.AlignLeft | QMessageBox.StandardButton.Ok | QgsTask.Flag.CanCancel\n")
    text = "\n".join(problems)
    for expected in ("import PyQt5.QtCore", "QRegExp", "QAction from QtGui", "write Qt.AlignmentFlag.AlignLeft",
                     "write QMessageBox.StandardButton.Ok", "write QgsTask.Flag.CanCancel", ".exec_()",
                     "Qt.MidButton is gone"):
        assert expected in text, text
    assert not [line for line in problems if ":11:" in line], text  # the scoped forms pass


def test_the_plugin_scripts_and_qgis_tests_are_qt6_clean():
    problems = []
    for path in python_files():
        with open(path, encoding="utf-8") as stream:
            problems += scan_source(stream.read(), path)
    assert not problems, "Qt 6 problems:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def metadata():
    parser = configparser.ConfigParser()
    parser.optionxform = str
    parser.read(os.path.join(ROOT, "metadata.txt"), encoding="utf-8")
    return parser["general"]


def test_metadata_claims_the_qgis_versions_ci_tests_and_qt6(metadata):
    # CI: QGIS 3.22 (Debian 12) and 3.40 (Debian 13); Qt 6 (QGIS 4) by the scan above.
    assert metadata["qgisMinimumVersion"] == "3.22"
    assert metadata["qgisMaximumVersion"] == "4.99"
    assert metadata["supportsQt6"] == "True"
