"""How the buildings layer looks: a see-through fill, a bright outline and its area as a label."""
from qgis.core import (
    QgsFillSymbol,
    QgsPalLayerSettings,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor

AREA_LABEL_EXPRESSION = "format_number(\"area_m2\", 0) || ' m²'"
# Labels of thousands of buildings are unreadable at city scale: show them from 1:10 000 inwards.
LABEL_MIN_SCALE = 10000


def buildings_symbol() -> QgsFillSymbol:
    return QgsFillSymbol.createSimple({
        "color": "255,212,0,45",
        "outline_color": "255,212,0,255",
        "outline_width": "0.5",
        "outline_width_unit": "MM",
    })


def area_label_format() -> QgsTextFormat:
    text = QgsTextFormat()
    text.setSize(8)
    text.setColor(QColor("white"))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setColor(QColor("black"))
    text.setBuffer(buffer)
    return text


def area_labeling() -> QgsVectorLayerSimpleLabeling:
    settings = QgsPalLayerSettings()
    settings.fieldName = AREA_LABEL_EXPRESSION
    settings.isExpression = True
    settings.setFormat(area_label_format())
    settings.scaleVisibility = True
    settings.minimumScale = LABEL_MIN_SCALE
    return QgsVectorLayerSimpleLabeling(settings)


def style_buildings_layer(layer) -> None:
    layer.setRenderer(QgsSingleSymbolRenderer(buildings_symbol()))
    layer.setLabeling(area_labeling())
    layer.setLabelsEnabled(True)
    layer.triggerRepaint()
