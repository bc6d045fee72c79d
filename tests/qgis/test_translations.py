"""Russian and English: the catalogue is complete and current, and the plugin speaks the language QGIS's
locale setting names, through Processing and through qgis_process, in its own strings (parameters, help)
and in the core's messages (translated by template, with their values kept)."""
import configparser
import importlib.util
import os
import re
import shutil
import subprocess

import processing
import pytest
from osgeo import gdal, osr
from qgis.core import QgsApplication, QgsProcessingException, QgsSettings

from building_area_plugin import classFactory, translation
from tests.onnx_models import bright_segmentor
from tests.qgis.conftest import ROOT, UTM_ORIGIN, run_qgis_process
from tests.qgis.scenes import write_squares

ALGORITHM = "building_area:detect_buildings"
TS_FILE = os.path.join(ROOT, "building_area_plugin", "i18n", "building_area_ru.ts")
_spec = importlib.util.spec_from_file_location("update_translations",
                                               os.path.join(ROOT, "scripts", "update_translations.py"))
update_translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_translations)


def lrelease() -> str:
    for candidate in ("lrelease", "lrelease-qt5", "/usr/lib/qt5/bin/lrelease", "/usr/lib/qt6/bin/lrelease"):
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail("Qt's lrelease is missing: make setup installs it (Debian package qttools5-dev-tools)")


@pytest.fixture(scope="module")
def qm_dir(tmp_path_factory):
    """building_area_ru.qm compiled from the .ts, as scripts/build_plugin.sh compiles it."""
    folder = tmp_path_factory.mktemp("i18n")
    subprocess.run([lrelease(), "-silent", TS_FILE, "-qm", str(folder / "building_area_ru.qm")], check=True)
    return str(folder)


@pytest.fixture
def russian(qm_dir):
    translator = translation.install_translator("ru", qm_dir)
    yield translator
    translation.remove_translator(translator)


# -- the catalogue ---------------------------------------------------------------------------------

def test_the_catalogue_is_current_complete_and_keeps_every_placeholder():
    stale = [path for path, text in update_translations.expected_files().items()
             if not os.path.isfile(path) or open(path, encoding="utf-8").read() != text]
    assert not stale, ("Out of date: " + ", ".join(stale) + ". Run `make translations`, then translate the "
                       "new (unfinished) entries of building_area_plugin/i18n/building_area_ru.ts.")
    entries = update_translations.read_ts(TS_FILE)
    unfinished = [source for (_, source), (_, finished) in entries.items() if not finished]
    assert not unfinished, "Not translated yet:\n" + "\n".join(unfinished)
    for (context, source), (text, _) in entries.items():
        placeholders = r"%\d+" if context == translation.MESSAGES_CONTEXT else r"\{[^}]*\}"
        assert sorted(re.findall(placeholders, source)) == sorted(re.findall(placeholders, text)), source


def test_the_script_and_the_plugin_agree_on_the_contexts():
    assert update_translations.UI_CONTEXT == translation.CONTEXT
    assert update_translations.MESSAGES_CONTEXT == translation.MESSAGES_CONTEXT


def test_core_messages_become_templates_with_qt_placeholders():
    from building_area_plugin.message_templates import TEMPLATES

    assert "Input raster not found: '%1'. Check the path and that the file exists." in TEMPLATES
    assert "Model file %1 does not exist: choose an existing .onnx file." in TEMPLATES
    assert "output GeoPackage" in TEMPLATES  # a phrase passed to check_output_path(..., what)
    assert not [template for template in TEMPLATES if "{" in template and "}" in template and "%" not in template]


# -- translate_message -----------------------------------------------------------------------------

def test_without_a_translator_messages_stay_as_they_are():
    message = "Input raster not found: '/data/a.tif'. Check the path and that the file exists."
    assert translation.translate_message(message) == message


def test_a_message_is_translated_with_its_values_kept(russian):
    assert (translation.translate_message("Input raster not found: '/data/Luftbild Süd.tif'. Check the path and "
                                          "that the file exists.")
            == "Входной растр не найден: '/data/Luftbild Süd.tif'. Проверьте путь и существование файла.")


def test_values_that_are_messages_are_translated_too_and_cut_where_they_end(russian):
    text = translation.translate_message("The output GeoPackage /data/my buildings.gpkg already exists: "
                                         "choose another file or allow overwriting.")
    assert text == ("Файл (выходной GeoPackage) /data/my buildings.gpkg уже существует: выберите другой файл "
                    "или разрешите перезапись.")
    assert (translation.translate_message("Detected in 3 of 10 tiles, about 1 min 05 s left")
            == "Детекция: 3 из 10 тайлов, осталось около 1 мин 05 с")


def test_an_unknown_text_is_left_alone(russian):
    assert translation.translate_message("GDAL: something nobody wrote here") == "GDAL: something nobody wrote here"


def test_the_catalogue_is_found_for_a_regional_locale(qm_dir):
    assert translation.qm_candidates("ru_RU.UTF-8") == ["building_area_ru_RU", "building_area_ru"]
    translator = translation.install_translator("ru_RU", qm_dir)
    try:
        assert translator is not None and translation.tr("Building polygons") == "Полигоны зданий"
    finally:
        translation.remove_translator(translator)
    assert translation.install_translator("de_DE", qm_dir) is None
    assert translation.tr("Building polygons") == "Building polygons"


# -- the algorithm in Russian, through Processing ----------------------------------------------------

@pytest.fixture(scope="module")
def russian_provider(qgis_processing, qm_dir):
    """The plugin loaded as QGIS loads it with its language set to Russian (locale/userLocale=ru)."""
    settings = QgsSettings()
    before = settings.value("locale/userLocale")
    settings.setValue("locale/userLocale", "ru")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(translation, "I18N_DIR", qm_dir)
        plugin = classFactory(None)
        plugin.initProcessing()
        try:
            yield plugin.provider
        finally:
            plugin.unload()
            if before is None:
                settings.remove("locale/userLocale")
            else:
                settings.setValue("locale/userLocale", before)


def run_failing(parameters) -> str:
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(ALGORITHM, parameters)
    return str(raised.value)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return bright_segmentor(tmp_path_factory.mktemp("models") / "bright.onnx")


def test_parameter_names_help_and_outputs_are_russian(russian_provider):
    algorithm = QgsApplication.processingRegistry().algorithmById(ALGORITHM)
    assert russian_provider.name() == "Площадь зданий"
    assert algorithm.displayName() == "Найти здания и измерить их площадь"
    assert algorithm.parameterDefinition("INPUT").description() == "Снимок (ортофотоплан или спутниковый растр)"
    assert algorithm.parameterDefinition("GSD").description() == "Размер пикселя (GSD), м/пикс (0 = автоматически)"
    assert algorithm.parameterDefinition("OUTPUT").description() == "Полигоны зданий"
    assert algorithm.outputDefinition("TOTAL_AREA_M2").description() == "Общая площадь зданий (м²)"
    assert algorithm.shortHelpString().startswith("<p>Находит здания на аэро- или спутниковом снимке")


def test_a_raster_without_gsd_fails_in_russian(russian_provider, model, tmp_path):
    raster = write_squares(str(tmp_path / "снимок.tif"), 64, [(10, 10, 20)], None, ())
    message = run_failing({"INPUT": raster, "SEGMENTATION_MODEL": model, "OUTPUT": str(tmp_path / "b.gpkg")})
    assert message.startswith("Размер пикселя на местности (GSD) для снимок.tif неизвестен: у растра нет привязки, "
                              "а модель bright.onnx не может его оценить."), message
    assert "Введите GSD" in message


def test_a_bad_model_fails_in_russian(russian_provider, tmp_path):
    raster = write_squares(str(tmp_path / "utm.tif"), 64, [(10, 10, 20)], 32633,
                           (UTM_ORIGIN[0], 0.3, 0.0, UTM_ORIGIN[1], 0.0, -0.3))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    message = run_failing({"INPUT": raster, "SEGMENTATION_MODEL": str(broken), "OUTPUT": str(tmp_path / "b.gpkg")})
    assert "broken.onnx — непригодная модель ONNX (" in message and "Выберите корректный файл модели" in message


def test_a_bad_output_path_fails_in_russian(russian_provider, model, tmp_path):
    raster = write_squares(str(tmp_path / "utm.tif"), 64, [(10, 10, 20)], 32633,
                           (UTM_ORIGIN[0], 0.3, 0.0, UTM_ORIGIN[1], 0.0, -0.3))
    message = run_failing({"INPUT": raster, "SEGMENTATION_MODEL": model, "OUTPUT": str(tmp_path / "b.shp")})
    assert message == f"«Полигоны зданий» должен быть файлом .gpkg, а не «{tmp_path / 'b.shp'}»."
    missing = tmp_path / "missing" / "b.gpkg"
    message = run_failing({"INPUT": raster, "SEGMENTATION_MODEL": model, "OUTPUT": str(missing)})
    assert message == (f"Папка файла (выходной GeoPackage) {missing} не существует: создайте её или выберите "
                       f"другую.")


def test_an_empty_raster_fails_in_russian(russian_provider, model, tmp_path):
    path = str(tmp_path / "empty.tif")
    dataset = gdal.GetDriverByName("GTiff").Create(path, 64, 64, 3, gdal.GDT_Byte)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.SetGeoTransform((UTM_ORIGIN[0], 0.3, 0.0, UTM_ORIGIN[1], 0.0, -0.3))
    for band in range(1, 4):
        dataset.GetRasterBand(band).SetNoDataValue(0)
    dataset = None
    message = run_failing({"INPUT": path, "SEGMENTATION_MODEL": model, "OUTPUT": str(tmp_path / "b.gpkg")})
    assert message.startswith("В empty.tif нет пикселей с данными: все пиксели — «нет данных»"), message


# -- the built plugin in Russian, through qgis_process -------------------------------------------------

@pytest.fixture(scope="module")
def russian_qgis_process_env(qgis_process_env, tmp_path_factory):
    """The assembled plugin (with its compiled .qm) and a profile whose QGIS language is Russian."""
    profile = tmp_path_factory.mktemp("profile_ru")
    ini = profile / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    settings = configparser.ConfigParser()
    settings.optionxform = str
    settings["locale"] = {"overrideFlag": "true", "userLocale": "ru"}
    with open(ini, "w") as stream:
        settings.write(stream)
    return dict(qgis_process_env, QGIS_CUSTOM_CONFIG_PATH=str(profile))


def test_qgis_process_speaks_russian(russian_qgis_process_env, model, tmp_path):
    helped = subprocess.run([os.path.join(ROOT, "scripts", "qgis_process.sh"), "help", ALGORITHM],
                            env=russian_qgis_process_env, capture_output=True, text=True, timeout=300)
    assert helped.returncode == 0, helped.stderr
    assert "Снимок (ортофотоплан или спутниковый растр)" in helped.stdout
    assert "Минимальная площадь здания (м²)" in helped.stdout

    raster = write_squares(str(tmp_path / "scan.tif"), 64, [(10, 10, 20)], None, ())
    failed = run_qgis_process(russian_qgis_process_env, f"INPUT={raster}", f"SEGMENTATION_MODEL={model}",
                              f"OUTPUT={tmp_path / 'b.gpkg'}")
    assert failed.returncode != 0
    assert "Размер пикселя на местности (GSD) для scan.tif неизвестен" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr
