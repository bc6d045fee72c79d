"""The plugin object QGIS loads: the Processing provider, a toolbar button and a menu entry."""
from qgis.core import QgsApplication
from qgis.PyQt.QtWidgets import QAction

from .gui.dialog import open_detect_dialog
from .icon import plugin_icon
from .processing.provider import BuildingAreaProvider

MENU = "&Building area"
TOOLBAR_NAME = "Building area"


class BuildingAreaPlugin:
    def __init__(self, iface):
        self.iface = iface
        # QGIS deletes a provider's algorithms once Python drops the provider: keep it referenced.
        self.provider = None
        self.toolbar = None
        self.action = None
        self.dialog = None  # the open algorithm dialog (non-modal, so it needs an owner)

    def initProcessing(self):  # noqa: N802 (QGIS hook, also called under qgis_process)
        # QGIS may call this and initGui; registering an id twice fails and deletes the provider.
        if self.provider is None:
            self.provider = BuildingAreaProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS hook)
        self.initProcessing()
        main_window = self.iface.mainWindow()
        self.action = QAction(plugin_icon(), "Detect buildings and measure areas…", main_window)
        self.action.setObjectName("buildingAreaDetectAction")
        self.action.setToolTip("Building area: find buildings in the active raster and measure their area in m²")
        self.action.triggered.connect(self.show_dialog)
        self.toolbar = self.iface.addToolBar(TOOLBAR_NAME)
        self.toolbar.setObjectName("BuildingAreaToolbar")
        self.toolbar.addAction(self.action)
        self.iface.addPluginToRasterMenu(MENU, self.action)

    def unload(self):
        if self.action is not None:
            self.iface.removePluginRasterMenu(MENU, self.action)
            self.toolbar.removeAction(self.action)
            self.iface.mainWindow().removeToolBar(self.toolbar)
            self.toolbar.deleteLater()
            self.action.deleteLater()
            self.toolbar = self.action = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

    def show_dialog(self):
        self.dialog = open_detect_dialog(self.iface)
