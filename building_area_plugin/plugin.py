"""The plugin object QGIS loads: the Processing provider, a toolbar button and a menu entry."""
from qgis.core import QgsApplication
from qgis.PyQt.QtWidgets import QAction

from .core.errors import BuildingAreaError
from .gui.dialog import open_detect_dialog
from .gui.model_download import offer_download
from .icon import plugin_icon
from .processing.provider import BuildingAreaProvider
from .shipped_models import DETECTION, SEGMENTATION, missing_model, profile_models_dir
from .translation import install_translator, remove_translator, tr

MENU = "&Building area"  # the English names; tr() gives them in the user's language
TOOLBAR_NAME = "Building area"


class BuildingAreaPlugin:
    def __init__(self, iface):
        self.iface = iface
        # Before anything shows text: Processing takes the parameter names when the provider is added.
        self.translator = install_translator()
        # QGIS deletes a provider's algorithms once Python drops the provider: keep it referenced.
        self.provider = None
        self.toolbar = None
        self.action = None
        self.dialog = None  # the open algorithm dialog (non-modal, so it needs an owner)
        self.download = None  # the model download task, kept referenced while it runs

    def initProcessing(self):  # noqa: N802 (QGIS hook, also called under qgis_process)
        # QGIS may call this and initGui; registering an id twice fails and deletes the provider.
        if self.provider is None:
            self.provider = BuildingAreaProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS hook)
        self.initProcessing()
        main_window = self.iface.mainWindow()
        self.action = QAction(plugin_icon(), tr("Detect buildings and measure areas…"), main_window)
        self.action.setObjectName("buildingAreaDetectAction")
        self.action.setToolTip(tr("Building area: find buildings in the active raster and measure their area in m²"))
        self.action.triggered.connect(self.show_dialog)
        self.toolbar = self.iface.addToolBar(tr(TOOLBAR_NAME))
        self.toolbar.setObjectName("BuildingAreaToolbar")
        self.toolbar.addAction(self.action)
        self.iface.addPluginToRasterMenu(self.menu(), self.action)

    @staticmethod
    def menu() -> str:
        return tr(MENU)

    def unload(self):
        if self.action is not None:
            self.iface.removePluginRasterMenu(self.menu(), self.action)
            self.toolbar.removeAction(self.action)
            self.iface.mainWindow().removeToolBar(self.toolbar)
            self.toolbar.deleteLater()
            self.action.deleteLater()
            self.toolbar = self.action = None
        if self._downloading():
            self.download.cancel()
        self.download = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator(self.translator)
        self.translator = None

    def show_dialog(self):
        """Open the algorithm dialog, after offering to download the models this plugin build lacks."""
        if self._downloading():
            return  # its progress dialog is up; a second download would write into the same file
        profile = QgsApplication.qgisSettingsDirPath()
        try:
            missing = [entry for entry in (missing_model(kind, profile) for kind in (SEGMENTATION, DETECTION)) if entry]
        except BuildingAreaError:
            missing = []  # a damaged manifest: the algorithm reports it, with its fix, when it runs
        task = offer_download(self.iface.mainWindow(), missing, profile_models_dir(profile),
                              self._open_dialog) if missing else None
        if task is None:  # nothing to download, or declined: a model file can be chosen in the dialog
            self._open_dialog()
            return
        # The task manager deletes a finished task: forget it then, rather than ask it later.
        task.taskCompleted.connect(self._download_ended)
        task.taskTerminated.connect(self._download_ended)
        self.download = task

    def _download_ended(self):
        self.download = None

    def _downloading(self) -> bool:
        return self.download is not None

    def _open_dialog(self):
        self.dialog = open_detect_dialog(self.iface)
