#!/usr/bin/env python3
"""Take docs/screenshot.png from the real QGIS desktop, run under Xvfb.

Usage: scripts/screenshot.py [--raster TIF] [--buildings GPKG] [--out PNG] [--locale LANG] [--palette]
                             [--center FX,FY] [--metres-per-pixel M] [--timeout S]
Defaults: out/demo/scene.tif and out/demo/buildings.gpkg (what `make demo` writes), docs/screenshot.png.

It starts `xvfb-run qgis --code scripts/screenshot.py` with the plugin from build/ enabled in a
throwaway profile and the runtime venv's packages visible. Inside QGIS this same file then fills
the 1600 x 1000 screen with the main window, adds the raster and the buildings layer (styled like
the plugin's results), zooms to a part of the town where the area labels are readable, opens the
plugin's dialog through its toolbar action (the raster preselected), waits for the map to render,
grabs the screen and exits. The whole run is killed after --timeout seconds (default 120).
--locale ru (make screenshot-ru) overrides QGIS's language in the profile, as *Settings > Options >
General > Override system locale* does: QGIS and the plugin then speak Russian. --palette stores a
256-colour PNG (Pillow's octree quantizer; about a quarter of the size, the map slightly posterized).
"""
import json
import os

SCREEN_W, SCREEN_H = 1600, 1000
PLUGIN_NAME = "building_area_plugin"
ENV_KEY = "BUILDING_AREA_SCREENSHOT"  # set in QGIS's environment: its JSON holds the parameters
ACTION_NAME = "buildingAreaDetectAction"  # objectName of the plugin's toolbar action
DIALOG_W, DIALOG_H = 700, 720  # the algorithm dialog, placed over the right part of the map
HELP_W = 250  # its help text column
LAYERS_W = 220  # the Layers panel


# --------------------------------------------------------------------------------------------
# Outside QGIS: prepare a profile and the environment, run QGIS under Xvfb, check the PNG.
# --------------------------------------------------------------------------------------------

def launch() -> int:
    import argparse
    import shutil
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raster", default=os.path.join(root, "out/demo/scene.tif"))
    parser.add_argument("--buildings", default=os.path.join(root, "out/demo/buildings.gpkg"),
                        help="GeoPackage with a 'buildings' layer (the plugin's OUTPUT)")
    parser.add_argument("--out", default=os.path.join(root, "docs/screenshot.png"))
    parser.add_argument("--center", default="0.5,0.45",
                        help="map centre as fractions of the raster's extent, x from the left and "
                             "y from the top (default: %(default)s)")
    parser.add_argument("--metres-per-pixel", type=float, default=0.0,
                        help="map scale on screen; 0 (default) = the raster's own pixel size")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before QGIS is killed")
    parser.add_argument("--locale", default="en_US",
                        help="QGIS's user interface and number locale, e.g. ru (default: %(default)s)")
    parser.add_argument("--palette", action="store_true",
                        help="a 256-colour PNG (needs Pillow: Debian's python3-pil)")
    parser.add_argument("--keep-profile", action="store_true", help="keep the throwaway profile")
    args = parser.parse_args()

    plugin_path = os.path.join(root, "build")
    for path, hint in ((os.path.join(plugin_path, PLUGIN_NAME, "metadata.txt"), "make plugin"),
                       (args.raster, "make demo"), (args.buildings, "make demo")):
        if not os.path.isfile(path):
            sys.exit(f"{path} is missing: run '{hint}' first.")
    for tool in ("xvfb-run", "qgis"):
        if shutil.which(tool) is None:
            sys.exit(f"'{tool}' is not installed: run 'make setup' (Debian packages qgis, xvfb, xauth).")
    fx, fy = (float(v) for v in args.center.split(","))

    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    work = tempfile.mkdtemp(prefix="building-area-screenshot-")
    profiles = os.path.join(work, "profiles")
    ini_dir = os.path.join(profiles, "default", "QGIS")
    os.makedirs(ini_dir)
    with open(os.path.join(ini_dir, "QGIS3.ini"), "w") as ini:
        ini.write(f"[PythonPlugins]\n{PLUGIN_NAME}=true\n\n"
                  "[qgis]\ncheckVersion=false\n\n"
                  # The chosen UI language and number format whatever the machine's locale.
                  f"[locale]\noverrideFlag=true\nuserLocale={args.locale}\nglobalLocale={args.locale}\n")
    temporary_png = os.path.join(work, "screenshot.png")

    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the desktop needs Xvfb's X11 display, not offscreen
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    env["XDG_RUNTIME_DIR"] = env.get("XDG_RUNTIME_DIR") or f"/tmp/runtime-{os.getuid()}"
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    if not env.get("PROJ_DATA") and os.path.isdir("/usr/share/proj"):
        env["PROJ_DATA"] = "/usr/share/proj"
    env["QGIS_PLUGINPATH"] = plugin_path
    # QGIS embeds Debian's python: it sees the venv (onnxruntime, opencv) only through PYTHONPATH.
    venv = os.environ.get("BUILDING_AREA_VENV", os.path.join(root, ".venv"))
    if os.path.isdir(venv):
        site = subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                               "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
        env["PYTHONPATH"] = os.pathsep.join(p for p in (site, env.get("PYTHONPATH")) if p)
        env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
    env[ENV_KEY] = json.dumps({
        "raster": os.path.abspath(args.raster),
        "buildings": os.path.abspath(args.buildings),
        "out": temporary_png,
        "center": [fx, fy],
        "metres_per_pixel": args.metres_per_pixel,
        "deadline_s": max(10.0, args.timeout - 15),
    })

    command = ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN_W}x{SCREEN_H}x24",
               "qgis", "--noversioncheck", "--nologo", "--profiles-path", work,
               "--code", os.path.abspath(__file__)]
    log_path = os.path.join(work, "qgis.log")
    started = time.monotonic()
    with open(log_path, "w") as log:
        # Own process group, so a timeout ends xvfb-run, Xvfb and QGIS together.
        process = subprocess.Popen(command, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            rc = process.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            # End QGIS first, so that xvfb-run stops its Xvfb and removes its auth files itself.
            for pid in group_members(process.pid):
                if pid != process.pid:
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            rc = "timeout"
    elapsed = time.monotonic() - started

    if rc != 0 or not os.path.isfile(temporary_png):
        with open(log_path, errors="replace") as log:
            sys.stderr.write(log.read()[-6000:])
        sys.stderr.write(f"\nQGIS failed (exit {rc} after {elapsed:.0f} s); profile and log kept in {work}\n")
        return 1
    if args.palette:
        from PIL import Image  # Debian's python3-pil, for the system Python this launcher runs on

        with Image.open(temporary_png) as image:
            image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(out, optimize=True)
    else:
        shutil.move(temporary_png, out)
    if not args.keep_profile:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{out} ({elapsed:.0f} s)")
    return 0


def group_members(group: int) -> list:
    """Ids of the processes in a process group (Linux /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:  # fields after the command: state, ppid, pgrp, ...
                members.append(int(entry))
    return members


# --------------------------------------------------------------------------------------------
# Inside QGIS (run by --code): stage the desktop, grab the screen, exit.
# --------------------------------------------------------------------------------------------

def stage_in_qgis(params: dict) -> None:
    import sys
    import traceback

    from qgis.core import QgsPointXY, QgsProject, QgsRasterLayer, QgsRectangle, QgsVectorLayer
    from qgis.PyQt.QtCore import Qt, QTimer
    from qgis.PyQt.QtWidgets import QAction, QApplication, QDockWidget, QSplitter
    from qgis.utils import iface, plugins

    from building_area_plugin.gui.style import style_buildings_layer
    from building_area_plugin.translation import tr

    keep = []  # Python references QGIS must not lose while the timers run
    layers = {}

    def fail(message: str) -> None:
        sys.stderr.write(f"screenshot: {message}\n")
        sys.stderr.flush()
        os._exit(1)

    def step(function, delay_ms: int) -> None:
        def guarded():
            try:
                function()
            except Exception:  # noqa: BLE001 (any error must end QGIS, not leave it running)
                fail(traceback.format_exc())
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(guarded)
        timer.start(delay_ms)
        keep.append(timer)

    # The launcher kills everything later anyway; exit cleanly first if a step hangs.
    step(lambda: fail("took too long"), int(params["deadline_s"] * 1000))

    window = iface.mainWindow()
    canvas = iface.mapCanvas()

    def layout_and_load():
        if PLUGIN_NAME not in plugins:
            fail(f"the plugin did not load (is {PLUGIN_NAME} in QGIS_PLUGINPATH?)")
        screen = QApplication.primaryScreen().geometry()
        window.setGeometry(screen)  # no window manager: showMaximized() would do nothing
        window.show()
        for dock in window.findChildren(QDockWidget):  # the Layers panel gets the whole left side
            if dock.objectName() == "Browser":
                dock.hide()
            elif dock.objectName() == "Layers":
                window.resizeDocks([dock], [LAYERS_W], Qt.Orientation.Horizontal)

        raster = QgsRasterLayer(params["raster"], os.path.splitext(os.path.basename(params["raster"]))[0])
        if not raster.isValid():
            fail(f"cannot open {params['raster']}")
        buildings = QgsVectorLayer(f"{params['buildings']}|layername=buildings", tr("Building polygons"), "ogr")
        if not buildings.isValid():
            fail(f"no 'buildings' layer in {params['buildings']}")
        style_buildings_layer(buildings)  # the style the plugin gives its results
        project = QgsProject.instance()
        project.setCrs(raster.crs())
        project.addMapLayer(raster)
        project.addMapLayer(buildings)
        iface.setActiveLayer(raster)  # the dialog preselects the active raster
        layers.update(raster=raster, buildings=buildings)

        action = window.findChild(QAction, ACTION_NAME)
        if action is None:
            fail(f"no toolbar action {ACTION_NAME}")
        action.trigger()
        step(place_dialog_and_zoom, 1500)

    def place_dialog_and_zoom():
        raster = layers["raster"]
        dialog = plugins[PLUGIN_NAME].dialog
        if dialog is None or not dialog.isVisible():
            fail("the plugin's dialog did not open")
        # Top right of the map, below the toolbars.
        canvas_top_left = canvas.mapTo(window, canvas.rect().topLeft())
        top = window.geometry().top() + canvas_top_left.y() + 10
        left = SCREEN_W - DIALOG_W - 10
        dialog.setGeometry(left, top, DIALOG_W, min(DIALOG_H, SCREEN_H - top - 40))
        splitter = dialog.findChild(QSplitter)  # parameters | help text
        if splitter is not None and splitter.count() == 2:
            splitter.setSizes([DIALOG_W - HELP_W, HELP_W])
        dialog.raise_()
        dialog.activateWindow()

        # The area of interest goes into the middle of the map that the dialog leaves visible.
        extent = raster.extent()
        fx, fy = params["center"]
        focus_x = extent.xMinimum() + fx * extent.width()
        focus_y = extent.yMaximum() - fy * extent.height()
        mupp = params["metres_per_pixel"] or raster.rasterUnitsPerPixelX()
        width_px, height_px = canvas.width(), canvas.height()
        canvas_left_global = window.geometry().left() + canvas_top_left.x()
        hidden_px = max(0, canvas_left_global + width_px - left)
        half_w, half_h = width_px / 2 * mupp, height_px / 2 * mupp
        # Keep the whole map on the raster where it is large enough (no blank margins).
        centre_x = clamp(focus_x + hidden_px / 2 * mupp, extent.xMinimum() + half_w, extent.xMaximum() - half_w)
        centre_y = clamp(focus_y, extent.yMinimum() + half_h, extent.yMaximum() - half_h)
        centre = QgsPointXY(centre_x, centre_y)
        canvas.setExtent(QgsRectangle(centre.x() - half_w, centre.y() - half_h,
                                      centre.x() + half_w, centre.y() + half_h))
        canvas.refresh()
        step(wait_for_map, 1000)

    def clamp(value, low, high):
        return value if low > high else min(max(value, low), high)

    def wait_for_map():
        canvas.waitWhileRendering()
        QApplication.processEvents()
        step(grab, 1500)  # let the finished map, labels and the dialog paint

    def grab():
        canvas.waitWhileRendering()
        QApplication.processEvents()
        image = QApplication.primaryScreen().grabWindow(0)
        if image.isNull() or not image.save(params["out"], "PNG"):
            fail(f"could not write {params['out']}")
        sys.stdout.write(f"screenshot: {image.width()}x{image.height()} scale 1:{canvas.scale():.0f}\n")
        sys.stdout.flush()
        os._exit(0)  # skip QGIS's shutdown (and its questions about the unsaved project)

    step(layout_and_load, 500)


if os.environ.get(ENV_KEY):
    stage_in_qgis(json.loads(os.environ[ENV_KEY]))
elif __name__ == "__main__":
    raise SystemExit(launch())
