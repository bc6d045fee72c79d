"""The plugin's translations: its own strings through tr(), the core's messages through a catalogue.

- Strings of the QGIS layer (dialog, toolbar, Processing parameter names and help, its own
  messages) are written in English inside ``tr()``, context ``BuildingArea``.
- The core (``building_area_plugin.core``) stays free of QGIS and Qt: it raises errors and logs
  lines in English, with runtime values (paths, numbers, model names) inside. Its message
  templates are extracted from the source by ``scripts/update_translations.py`` into
  ``message_templates.py`` ("Input raster not found: '%1'. Check the path ...") and into the
  .ts file, context ``building_area_messages``. :func:`translate_message` finds the template a
  message was made from, translates the template and puts the values back in (values that are
  messages themselves, e.g. a reason inside an error, are translated the same way). A message
  without a template stays English.

``i18n/building_area_<lang>.ts`` is compiled to ``.qm`` by ``make plugin``
(scripts/build_plugin.sh, with Qt's lrelease). The language is QGIS's: the ``locale/userLocale``
setting (QGIS writes it at start from the system or the override chosen in its options; under
qgis_process it is the profile's), else the system locale.
"""
import functools
import itertools
import os
import re
from typing import Iterator, List, Optional, Tuple

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

CONTEXT = "BuildingArea"  # tr(): the strings of the QGIS layer
MESSAGES_CONTEXT = "building_area_messages"  # translate_message(): the core's message templates
CATALOGUE = "building_area"  # i18n/building_area_<lang>.qm
I18N_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "i18n")
MAX_DEPTH = 3  # values inside values inside a message, at most
MAX_SPLITS = 64  # ways of cutting one message into its values, at most

_PLACEHOLDER = re.compile(r"%(\d+)")
_installed: List[QTranslator] = []  # translators this plugin has installed (Qt keeps only a pointer)
_patterns: Optional[List[Tuple[str, List[str]]]] = None


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def user_locale() -> str:
    """QGIS's user interface locale, e.g. 'ru', 'ru_RU' or 'en_US'."""
    value = QgsSettings().value("locale/userLocale", "")
    return str(value or "") or QLocale.system().name()


def qm_candidates(locale: str) -> List[str]:
    """Catalogue names to try for a locale, most specific first: ru_RU -> building_area_ru_RU, building_area_ru."""
    names = []
    code = locale.replace("-", "_").split(".")[0]
    while code:
        names.append(f"{CATALOGUE}_{code}")
        code = code.rpartition("_")[0]
    return names


def install_translator(locale: Optional[str] = None, folder: Optional[str] = None) -> Optional[QTranslator]:
    """Load and install the catalogue for locale (default: QGIS's); None when there is none (English)."""
    locale = locale or user_locale()
    folder = folder or I18N_DIR
    for name in qm_candidates(locale):
        translator = QTranslator()
        if translator.load(name, folder):
            QCoreApplication.installTranslator(translator)
            _installed.append(translator)
            return translator
    return None


def remove_translator(translator: Optional[QTranslator]) -> None:
    if translator is not None and translator in _installed:
        QCoreApplication.removeTranslator(translator)
        _installed.remove(translator)


def _templates() -> List[Tuple[str, List[str]]]:
    """(template, its literal parts) per template, the most literal text first, so that
    "Model file %1 does not exist: ..." wins over a template that is mostly placeholders."""
    global _patterns
    if _patterns is None:
        from .message_templates import TEMPLATES

        parsed = [(template, _PLACEHOLDER.split(template)[::2]) for template in TEMPLATES]
        parsed.sort(key=lambda item: -sum(len(literal) for literal in item[1]))
        _patterns = parsed
    return _patterns


def _splits(text: str, literals: List[str]) -> Iterator[List[str]]:
    """Every way of reading text as literals[0] value literals[1] value ... literals[-1]: the values."""
    if len(literals) == 1:
        if text == literals[0]:
            yield []
        return
    head, tail = literals[0], literals[-1]
    end = len(text) - len(tail)
    if end < len(head) or not (text.startswith(head) and text.endswith(tail)):
        return

    def walk(position: int, index: int, values: List[str]) -> Iterator[List[str]]:
        if index == len(literals) - 1:
            yield values + [text[position:end]]
            return
        found = text.find(literals[index], position, end)
        while found >= 0:
            yield from walk(found + len(literals[index]), index + 1, values + [text[position:found]])
            found = text.find(literals[index], found + 1, end)

    yield from walk(len(head), 1, [])


@functools.lru_cache(maxsize=4096)
def _match(text: str, depth: int) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """The template text was made from and its values. Where the values can be cut in several ways
    ("The output GeoPackage /a b.gpkg already exists" from "The %1 %2 already exists"), the cut whose
    values are messages themselves wins ("output GeoPackage"), else the one with the shortest first values."""
    for template, literals in _templates():
        best, best_score = None, -1
        for values in itertools.islice(_splits(text, literals), MAX_SPLITS):
            score = sum(depth < MAX_DEPTH and _match(value, depth + 1) is not None for value in values)
            if score > best_score:
                best, best_score = values, score
            if best_score == len(values):
                break
        if best is not None:
            return template, tuple(best)
    return None


def _translate(text: str, depth: int) -> str:
    match = _match(text, depth)
    if match is None:
        return text
    template, values = match
    values = [value if depth >= MAX_DEPTH else _translate(value, depth + 1) for value in values]
    translated = QCoreApplication.translate(MESSAGES_CONTEXT, template)

    def value(placeholder):
        number = int(placeholder.group(1))
        return values[number - 1] if 0 < number <= len(values) else placeholder.group(0)

    return _PLACEHOLDER.sub(value, translated)


def translate_message(text: str) -> str:
    """A core message (error, warning, log line, progress text) in the user's language, when translated."""
    if not _installed or not text:
        return text
    return _translate(text, 0)
