"""The plugin in a (stub) QGIS desktop: toolbar button, menu entry, dialog, unload, result style."""
from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.gui import QgsBrowserGuiModel
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QToolBar

from building_area_plugin import classFactory
from building_area_plugin.gui.style import style_buildings_layer
from building_area_plugin.plugin import MENU

TOOLBAR = "BuildingAreaToolbar"


def toolbars(iface):
    return iface.mainWindow().findChildren(QToolBar, TOOLBAR)


def test_init_gui_adds_toolbar_button_menu_entry_and_provider(qgis_iface, plugin):
    assert [plugin.action] == toolbars(qgis_iface)[0].actions()
    assert not plugin.action.icon().isNull()
    qgis_iface.addPluginToRasterMenu.assert_called_with(MENU, plugin.action)
    assert QgsApplication.processingRegistry().providerById("building_area") is not None


def test_unload_removes_everything(qgis_iface, qgis_processing):
    plugin = classFactory(qgis_iface)
    plugin.initGui()
    action = plugin.action
    plugin.unload()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert toolbars(qgis_iface) == []
    qgis_iface.removePluginRasterMenu.assert_called_with(MENU, action)
    assert QgsApplication.processingRegistry().providerById("building_area") is None


def test_button_opens_the_dialog_with_the_active_raster(qgis_iface, plugin, utm_raster, monkeypatch):
    # Processing's dialog asks the interface for the browser model, which the stub lacks.
    browser_model = QgsBrowserGuiModel()
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: browser_model, raising=False)
    layer = QgsRasterLayer(utm_raster, "orthophoto")
    QgsProject.instance().addMapLayer(layer)
    qgis_iface.setActiveLayer(layer)
    try:
        plugin.action.trigger()
        assert plugin.dialog.algorithm().id() == "building_area:detect_buildings"
        chosen = plugin.dialog.createProcessingParameters()["INPUT"]
        assert getattr(chosen, "id", lambda: chosen)() == layer.id()
    finally:
        plugin.dialog.close()
        QgsProject.instance().removeMapLayer(layer.id())


def test_buildings_style_outlines_and_labels_areas(tmp_path):
    layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=area_m2:double", "buildings", "memory")
    style_buildings_layer(layer)
    assert layer.labelsEnabled()
    assert '"area_m2"' in layer.labeling().settings().fieldName
    assert layer.renderer().symbol().symbolLayer(0).strokeColor().name() == "#ffd400"


def test_run_and_load_adds_the_buildings_layer_styled(qgis_iface, plugin, utm_raster, bright_model, tmp_path):
    import processing

    output = tmp_path / "buildings.gpkg"
    processing.runAndLoadResults("building_area:detect_buildings", {
        "INPUT": utm_raster, "SEGMENTATION_MODEL": bright_model, "OUTPUT": str(output)})
    loaded = [layer for layer in QgsProject.instance().mapLayers().values()
              if layer.source() == f"{output}|layername=buildings"]
    try:
        assert len(loaded) == 1 and loaded[0].featureCount() == 2
        assert loaded[0].labelsEnabled() and '"area_m2"' in loaded[0].labeling().settings().fieldName
    finally:
        QgsProject.instance().removeMapLayers([layer.id() for layer in loaded])
