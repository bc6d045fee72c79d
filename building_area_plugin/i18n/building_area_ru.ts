<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru" sourcelanguage="en">
<context>
    <name>BuildingArea</name>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source> Detection is skipped, segmentation still runs.</source>
        <translation> Детекция пропускается, сегментация выполняется.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source> Or choose an ONNX model file in 'Segmentation model'.</source>
        <translation> Или выберите файл модели ONNX в поле «Модель сегментации».</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/plugin.py"/>
        <source>&amp;Building area</source>
        <translation>&amp;Площадь зданий</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>'{}' is not read from a file (a web layer?): the batch runs on raster files only; use 'Detect buildings and measure their area' with an extent for it.</source>
        <translation>'{}' читается не из файла (веб-слой?): пакетная обработка работает только с растровыми файлами; для него используйте «Найти здания и измерить их площадь» с охватом.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>'{}' must be a {} file, not '{}'.</source>
        <translation>«{}» должен быть файлом {}, а не «{}».</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>&lt;p&gt;Finds buildings in an aerial or satellite image with an ONNX segmentation model and writes one polygon per building with its ground area in m².&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Outputs.&lt;/b&gt; &lt;i&gt;Building polygons&lt;/i&gt; is a GeoPackage: layer &lt;code&gt;buildings&lt;/code&gt; has &lt;code&gt;area_m2&lt;/code&gt; (ground area on the WGS 84 ellipsoid, correct in any CRS, including EPSG:3857 and degrees), &lt;code&gt;perimeter_m&lt;/code&gt;, &lt;code&gt;score&lt;/code&gt; (mean building probability; with a model that carries a score calibration, about the chance that the building is real), &lt;code&gt;gsd_m&lt;/code&gt; and &lt;code&gt;gsd_source&lt;/code&gt;; layer &lt;code&gt;summary&lt;/code&gt; holds the totals. The numeric outputs give the building count, total building area, analysed area (valid pixels only), built-up share in %, and the ground sampling distance (GSD) used with its source: &lt;code&gt;georeferencing&lt;/code&gt;, &lt;code&gt;model&lt;/code&gt; (estimated from the image) or &lt;code&gt;user&lt;/code&gt;.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;GSD.&lt;/b&gt; Leave 0 to take it from the raster's georeferencing; set it (metres per pixel) for an image without georeferencing or to override it. Without either, the model estimates it from the image: then &lt;code&gt;area_m2_low&lt;/code&gt;/&lt;code&gt;area_m2_high&lt;/code&gt; (per building) and &lt;i&gt;TOTAL_AREA_M2_LOW&lt;/i&gt;/&lt;i&gt;_HIGH&lt;/i&gt; give the area at the ends of the estimate's 80 % interval (with a known GSD they equal the total). When the georeferencing and the model's estimate differ by more than 2x (a wrong CRS, a screenshot placed on a web map), the run warns, naming both.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Web layers.&lt;/b&gt; An XYZ, WMTS or WMS layer (any layer not read from a file) is read through QGIS over &lt;i&gt;EXTENT&lt;/i&gt;, which is then required, at the model's GSD (or the GSD parameter's) in a local transverse Mercator CRS; the GSD source is then &lt;code&gt;resampling&lt;/code&gt;.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Regularize outlines.&lt;/b&gt; Off by default. On, each building is written as a right-angled, simplified outline aligned to its own dominant direction (wings and courtyards kept, jogs of a few pixels removed); an outline that fits no right-angled one (a round building) is kept as found. &lt;code&gt;area_m2&lt;/code&gt; stays the area of the segmentation mask; &lt;code&gt;area_reg_m2&lt;/code&gt; holds the regularized outline's area, and the summary's &lt;code&gt;total_area_reg_m2&lt;/code&gt; their sum.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Models.&lt;/b&gt; Empty model fields use the models shipped in the plugin's &lt;code&gt;models&lt;/code&gt; folder, or downloaded on first use into &lt;code&gt;building_area/models&lt;/code&gt; in the QGIS profile folder. Threshold 0 uses the model's own threshold.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;One polygon per building.&lt;/b&gt; A segmentation model with an edge output (the shipped one has one) cuts each blob of touching roofs into buildings along the walls it sees, with thresholds from its own metadata; the buildings' areas add up to the blob's.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Detection.&lt;/b&gt; With a detection model (&lt;i&gt;Also detect single buildings&lt;/i&gt;), boxes found tile by tile are merged over the whole raster (a building cut by a tile edge is found once) and help cut blobs of touching roofs into one polygon per building; the building count comes from this fusion. &lt;i&gt;Detection boxes&lt;/i&gt; writes them (layer &lt;code&gt;detections&lt;/code&gt;: &lt;code&gt;score&lt;/code&gt;, &lt;code&gt;area_m2&lt;/code&gt;). Detection confidence and NMS IoU 0 use the model's own; dense districts need a high NMS IoU.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Находит здания на аэро- или спутниковом снимке с помощью модели сегментации ONNX и записывает по полигону на каждое здание с его площадью на местности в м².&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Результаты.&lt;/b&gt; &lt;i&gt;Полигоны зданий&lt;/i&gt; — это GeoPackage: слой &lt;code&gt;buildings&lt;/code&gt; содержит &lt;code&gt;area_m2&lt;/code&gt; (площадь на местности на эллипсоиде WGS 84, верная в любой СК, включая EPSG:3857 и градусы), &lt;code&gt;perimeter_m&lt;/code&gt;, &lt;code&gt;score&lt;/code&gt; (средняя вероятность здания; если у модели есть калибровка оценок — примерно вероятность того, что здание настоящее), &lt;code&gt;gsd_m&lt;/code&gt; и &lt;code&gt;gsd_source&lt;/code&gt;; слой &lt;code&gt;summary&lt;/code&gt; содержит итоги. Числовые результаты: число зданий, общая площадь зданий, проанализированная площадь (только пиксели с данными), доля застройки в % и использованный размер пикселя на местности (GSD) с его источником: &lt;code&gt;georeferencing&lt;/code&gt; (привязка), &lt;code&gt;model&lt;/code&gt; (оценка по снимку) или &lt;code&gt;user&lt;/code&gt; (задан пользователем).&lt;/p&gt;
&lt;p&gt;&lt;b&gt;GSD.&lt;/b&gt; Оставьте 0, чтобы взять его из привязки растра; задайте его (метров на пиксель) для снимка без привязки или чтобы переопределить привязку. Если нет ни того, ни другого, модель оценивает GSD по снимку: тогда &lt;code&gt;area_m2_low&lt;/code&gt;/&lt;code&gt;area_m2_high&lt;/code&gt; (для каждого здания) и &lt;i&gt;TOTAL_AREA_M2_LOW&lt;/i&gt;/&lt;i&gt;_HIGH&lt;/i&gt; дают площадь на концах 80-процентного интервала оценки (при известном GSD они равны общей площади). Если привязка и оценка модели расходятся более чем в 2 раза (неверная СК, снимок экрана, положенный на веб-карту), выводится предупреждение с обоими значениями.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Веб-слои.&lt;/b&gt; Слой XYZ, WMTS или WMS (любой слой, читаемый не из файла) читается через QGIS в пределах &lt;i&gt;EXTENT&lt;/i&gt;, который тогда обязателен, с GSD модели (или параметра GSD) в локальной поперечной проекции Меркатора; источник GSD тогда &lt;code&gt;resampling&lt;/code&gt;.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Регуляризация контуров.&lt;/b&gt; По умолчанию выключена. Если включена, каждое здание записывается упрощённым контуром с прямыми углами, выровненным по его собственному главному направлению (крылья и внутренние дворы сохраняются, уступы в несколько пикселей убираются); контур, которому не подходит прямоугольный (круглое здание), остаётся как найден. &lt;code&gt;area_m2&lt;/code&gt; остаётся площадью маски сегментации; &lt;code&gt;area_reg_m2&lt;/code&gt; содержит площадь регуляризованного контура, а &lt;code&gt;total_area_reg_m2&lt;/code&gt; в сводке — их сумму.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Модели.&lt;/b&gt; Пустые поля моделей означают модели из папки &lt;code&gt;models&lt;/code&gt; модуля или загруженные при первом использовании в &lt;code&gt;building_area/models&lt;/code&gt; в папке профиля QGIS. Порог 0 означает собственный порог модели.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Один полигон на здание.&lt;/b&gt; Модель сегментации с выходом границ (у поставляемой он есть) делит каждое пятно соприкасающихся крыш на здания по видимым ей стенам, с порогами из собственных метаданных; площади зданий в сумме равны площади пятна.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Детекция.&lt;/b&gt; С моделью детекции (&lt;i&gt;Также находить отдельные здания&lt;/i&gt;) рамки, найденные тайл за тайлом, объединяются по всему растру (здание, разрезанное краем тайла, находится один раз) и помогают делить пятна соприкасающихся крыш на отдельные полигоны зданий; число зданий получается из этого объединения. &lt;i&gt;Рамки детекции&lt;/i&gt; записывает их (слой &lt;code&gt;detections&lt;/code&gt;: &lt;code&gt;score&lt;/code&gt;, &lt;code&gt;area_m2&lt;/code&gt;). Порог уверенности и IoU для NMS, равные 0, берутся из модели; для плотной застройки нужен высокий IoU для NMS.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>&lt;p&gt;Finds the buildings of many rasters at once (a whole city) and writes them into one GeoPackage, on a local Dask cluster that uses every core of this computer.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Inputs.&lt;/b&gt; A folder (its rasters and those of its subfolders) and/or raster layers read from files. Tiles of one mosaic (same CRS and pixel grid, touching) are read together: a building across tiles comes out once, whole, with its full area. Rasters larger than the window are cut into windows that run in parallel.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Outputs.&lt;/b&gt; Layer &lt;code&gt;buildings&lt;/code&gt; of the GeoPackage: every building with &lt;code&gt;area_m2&lt;/code&gt; (ground area), &lt;code&gt;raster&lt;/code&gt; (its source raster) and &lt;code&gt;parts&lt;/code&gt; (pieces joined across seams); layer &lt;code&gt;rasters&lt;/code&gt;: one row per raster (status, reason of a failure, buildings, areas), also written as &lt;i&gt;&amp;lt;name&amp;gt;_rasters.csv&lt;/i&gt;; &lt;i&gt;&amp;lt;name&amp;gt;.json&lt;/i&gt; holds the result. With &lt;i&gt;Regularize outlines&lt;/i&gt;, buildings are written as right-angled outlines (as in 'Detect buildings and measure their area'): &lt;code&gt;area_m2&lt;/code&gt; stays the mask's area, &lt;code&gt;area_reg_m2&lt;/code&gt; is the outline's. A raster that cannot be processed is reported with its reason and does not stop the others.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Resuming.&lt;/b&gt; Finished work is kept in the folder &lt;i&gt;&amp;lt;name&amp;gt;_batch&lt;/i&gt; beside the output: after Cancel or a crash, run again with the same output and only what is left runs.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Находит здания сразу на многих растрах (на целом городе) и записывает их в один GeoPackage, на локальном кластере Dask, который использует все ядра этого компьютера.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Входные данные.&lt;/b&gt; Папка (её растры и растры её подпапок) и/или растровые слои из файлов. Тайлы одной мозаики (одна система координат и сетка пикселей, соприкасаются) читаются вместе: здание на стыке тайлов выходит один раз, целиком, с полной площадью. Растры больше окна разрезаются на окна, которые обрабатываются параллельно.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Результаты.&lt;/b&gt; Слой &lt;code&gt;buildings&lt;/code&gt; в GeoPackage: каждое здание с &lt;code&gt;area_m2&lt;/code&gt; (площадь на местности), &lt;code&gt;raster&lt;/code&gt; (исходный растр) и &lt;code&gt;parts&lt;/code&gt; (число частей, соединённых на стыках); слой &lt;code&gt;rasters&lt;/code&gt;: строка на растр (статус, причина сбоя, здания, площади), также записанный в &lt;i&gt;&amp;lt;имя&amp;gt;_rasters.csv&lt;/i&gt;; &lt;i&gt;&amp;lt;имя&amp;gt;.json&lt;/i&gt; содержит итог. С &lt;i&gt;Регуляризацией контуров&lt;/i&gt; здания записываются контурами с прямыми углами (как в «Найти здания и измерить их площадь»): &lt;code&gt;area_m2&lt;/code&gt; остаётся площадью маски, &lt;code&gt;area_reg_m2&lt;/code&gt; — площадь контура. Растр, который не удаётся обработать, указывается с причиной и не останавливает остальные.&lt;/p&gt;
&lt;p&gt;&lt;b&gt;Продолжение.&lt;/b&gt; Готовая работа хранится в папке &lt;i&gt;&amp;lt;имя&amp;gt;_batch&lt;/i&gt; рядом с результатом: после отмены или сбоя запустите снова с тем же результатом, и выполнится только оставшееся.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>A GeoPackage (.gpkg) with the layers 'buildings' and 'summary'.</source>
        <translation>GeoPackage (.gpkg) со слоями 'buildings' и 'summary'.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>A GeoPackage (.gpkg) with the layers 'buildings', 'rasters' and 'units'.</source>
        <translation>GeoPackage (.gpkg) со слоями 'buildings', 'rasters' и 'units'.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Also detect single buildings (boxes)</source>
        <translation>Также находить отдельные здания (рамки)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Analyse only this extent (required for web layers)</source>
        <translation>Только этот охват (обязателен для веб-слоёв)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Analysed area (m²)</source>
        <translation>Проанализированная площадь (м²)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/plugin.py"/>
        <source>Building area</source>
        <translation>Площадь зданий</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/provider.py"/>
        <source>Building area (buildings and their ground area from imagery)</source>
        <translation>Площадь зданий (здания и их площадь на местности по снимкам)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/gui/model_download.py"/>
        <source>Building area: downloading models</source>
        <translation>Площадь зданий: загрузка моделей</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/plugin.py"/>
        <source>Building area: find buildings in the active raster and measure their area in m²</source>
        <translation>Площадь зданий: найти здания на активном растре и измерить их площадь в м²</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Building polygons</source>
        <translation>Полигоны зданий</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Building probability (GeoTIFF)</source>
        <translation>Вероятность здания (GeoTIFF)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Building probability threshold (0 = the model's own)</source>
        <translation>Порог вероятности здания (0 = порог модели)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>building,footprint,area,batch,city,mosaic,tiles,dask,parallel</source>
        <translation>здание,контур,площадь,пакет,город,мозаика,тайлы,dask,параллельно</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>building,footprint,area,roof,segmentation,detection,onnx,deep learning</source>
        <translation>здание,контур,площадь,крыша,сегментация,детекция,onnx,глубокое обучение</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Buildings of all rasters</source>
        <translation>Здания всех растров</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Built-up share (%)</source>
        <translation>Доля застройки (%)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/gui/model_download.py"/>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Choose a folder of rasters or raster layers.</source>
        <translation>Выберите папку с растрами или растровые слои.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/plugin.py"/>
        <source>Detect buildings and measure areas…</source>
        <translation>Найти здания и измерить площади…</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Detect buildings and measure their area</source>
        <translation>Найти здания и измерить их площадь</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Detect buildings in many rasters (batch, Dask)</source>
        <translation>Найти здания на многих растрах (пакетно, Dask)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Detection boxes</source>
        <translation>Рамки детекции</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Detection confidence (0 = the model's own)</source>
        <translation>Порог уверенности детекции (0 = порог модели)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Detection is off: no detection boxes are written.</source>
        <translation>Детекция выключена: рамки детекции не записываются.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Detection model (ONNX; empty = shipped model)</source>
        <translation>Модель детекции (ONNX; пусто = модель из поставки)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Detection NMS IoU, higher keeps more overlapping boxes (0 = the model's own)</source>
        <translation>IoU для NMS детекции: выше — больше перекрывающихся рамок (0 = значение модели)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/gui/model_download.py"/>
        <source>Downloading {}…</source>
        <translation>Загрузка {}…</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Folder of rasters (with its subfolders)</source>
        <translation>Папка с растрами (с подпапками)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Ground sampling distance used (m/px)</source>
        <translation>Использованный размер пикселя на местности (м/пикс)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Ground sampling distance, m/px (0 = automatic)</source>
        <translation>Размер пикселя (GSD), м/пикс (0 = автоматически)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Image (orthophoto or satellite raster)</source>
        <translation>Снимок (ортофотоплан или спутниковый растр)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Minimum building area (m²)</source>
        <translation>Минимальная площадь здания (м²)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>No detection model found: detection is skipped, segmentation still runs.</source>
        <translation>Модель детекции не найдена: детекция пропускается, сегментация выполняется.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>No segmentation model: the plugin's models folder has no building_segmentation*.onnx. Choose an ONNX model file in 'Segmentation model'.</source>
        <translation>Нет модели сегментации: в папке models модуля нет building_segmentation*.onnx. Выберите файл модели ONNX в поле «Модель сегментации».</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Number of buildings</source>
        <translation>Число зданий</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Number of rasters</source>
        <translation>Число растров</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>onnxruntime execution provider</source>
        <translation>Исполнитель onnxruntime (execution provider)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Per-raster summary (CSV)</source>
        <translation>Итоги по растрам (CSV)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Raster layers</source>
        <translation>Растровые слои</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Rasters that failed (wholly or in part)</source>
        <translation>Растры со сбоями (целиком или частично)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Regularize outlines (right angles, aligned to each building)</source>
        <translation>Регуляризовать контуры (прямые углы, по направлению каждого здания)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Result (JSON)</source>
        <translation>Итог (JSON)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Segmentation model (ONNX; empty = shipped model)</source>
        <translation>Модель сегментации (ONNX; пусто = модель из поставки)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Source of the GSD</source>
        <translation>Источник GSD</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>The extent is empty.</source>
        <translation>Охват пуст.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>The GSD is the model's estimate: the total area lies between {:.1f} and {:.1f} m² (80 % interval).</source>
        <translation>GSD — оценка модели: общая площадь лежит между {:.1f} и {:.1f} м² (80-процентный интервал).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/raster_source.py"/>
        <source>The input is not a valid raster layer.</source>
        <translation>Входные данные не являются корректным растровым слоем.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/gui/model_download.py"/>
        <source>The model download failed.</source>
        <translation>Не удалось загрузить модель.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>The regularized outlines cover {:.1f} m² (area_reg_m2).</source>
        <translation>Регуляризованные контуры занимают {:.1f} м² (area_reg_m2).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/gui/model_download.py"/>
        <source>This build of the plugin downloads its models on first use: {} is not installed yet.

Download now into {}?

Without internet access: {}.</source>
        <translation>Эта сборка модуля загружает свои модели при первом использовании: {} ещё не установлено.

Загрузить сейчас в {}?

Без доступа к интернету: {}.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Total building area (m²)</source>
        <translation>Общая площадь зданий (м²)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Total building area, high end of the 80 % interval (m²; GSD estimated by the model)</source>
        <translation>Общая площадь зданий, верхняя граница 80-процентного интервала (м²; GSD оценён моделью)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>Total building area, low end of the 80 % interval (m²; GSD estimated by the model)</source>
        <translation>Общая площадь зданий, нижняя граница 80-процентного интервала (м²; GSD оценён моделью)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Window: rasters larger than this (px) run in windows</source>
        <translation>Окно: растры больше этого размера (пикс.) обрабатываются окнами</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>Worker processes (0 = as many as cores and memory allow)</source>
        <translation>Рабочие процессы (0 = сколько позволяют ядра и память)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/gui/model_download.py"/>
        <source>{} ({:.1f} MB)</source>
        <translation>{} ({:.1f} МБ)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings.py"/>
        <source>{} buildings, {:.1f} m² built up of {:.1f} m² analysed ({:.2f} %); GSD {:.3f} m/px from {}; {} tiles on {} in {:.1f} s.</source>
        <translation>Зданий: {}; застроено {:.1f} м² из {:.1f} м² проанализированных ({:.2f} %); GSD {:.3f} м/пикс, источник: {}; {} тайлов на {} за {:.1f} с.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>{} buildings, {:.1f} m² built up of {:.1f} m² analysed in {} rasters ({} failed).</source>
        <translation>{} зданий, {:.1f} м² застройки из {:.1f} м² проанализированных на {} растрах ({} со сбоями).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/detect_buildings_batch.py"/>
        <source>{} units to run, {} done before; {:.3f} km² in all.</source>
        <translation>Единиц к выполнению: {}, выполнено ранее: {}; всего {:.3f} км².</translation>
    </message>
</context>
<context>
    <name>building_area_messages</name>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source> (80 % interval %1 to %2)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation> (80-процентный интервал от %1 до %2)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source> (80 % interval from the GSD estimate: %1 to %2 m²)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation> (80-процентный интервал по оценке GSD: от %1 до %2 м²)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source> (and %1 more)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation> (и ещё %1)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source> from less than %1 x %2 px</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation> по фрагменту меньше %1 x %2 пикс</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source> in the extent</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation> в охвате</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/progress.py"/>
        <source>%1 %2 of %3 tiles</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: %2 из %3 тайлов</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/progress.py"/>
        <source>%1 %2 of %3 tiles, about %4 left</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: %2 из %3 тайлов, осталось около %4</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>%1 (%2) needs a positive size, a SHA-256 and at least one URL: %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Для %1 (%2) нужны положительный размер, SHA-256 и хотя бы один URL: %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>%1 blobs larger than %2 x %3 px were kept whole, not split into buildings: analyse a smaller extent at a time if that area is built up.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Пятен больше %2 x %3 пикс, оставленных целиком (не разделённых на здания): %1. Если там плотная застройка, анализируйте меньший экстент за раз.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>%1 buildings, %2 m²%3 of %4 m² analysed (%5 %) in %6 s</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Зданий: %1, %2 м²%3 из %4 м² проанализированных (%5 %) за %6 с</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 failed on tiles of %2 (%3). It does not run on %4 px RGB tiles as its metadata says: fix 'tile_size' or choose another model.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 не справилась с тайлами %2 (%3). Она не работает на тайлах RGB по %4 пикс, как указано в её метаданных: исправьте 'tile_size' или выберите другую модель.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/progress.py"/>
        <source>%1 h %2 min</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 ч %2 мин</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 has %2 inputs; building-area needs a model with one image input [N, 3, H, W].</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>У %1 входов: %2; building-area нужна модель с одним входом-изображением [N, 3, H, W].</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 has %2 outputs of shape [N, C, H, W]; building-area needs exactly one (the building probability).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>У %1 выходов формы [N, C, H, W]: %2; building-area нужен ровно один (вероятность здания).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>%1 has a malformed field (%2): %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В %1 есть некорректное поле (%2): %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 has no box output: its metadata names none in 'detection_output'.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>У %1 нет выхода рамок: в её метаданных 'detection_output' ничего не указано.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>%1 has no valid pixels%2: every pixel is no data, transparent or NaN. Check the raster's no-data value and alpha band, or choose an extent with image data.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В %1 нет пикселей с данными%2: все пиксели — «нет данных», прозрачные или NaN. Проверьте значение «нет данных» и альфа-канал растра или выберите охват с данными снимка.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 is a %2 model, not a detector: choose a building detection model (or a segmentor whose metadata names its boxes in 'detection_output').</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 — модель типа %2, а не детектор: выберите модель детекции зданий (или модель сегментации, в метаданных которой выход рамок указан в 'detection_output').</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 is a %2 model, not a segmentor: choose a building segmentation model.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 — модель типа %2, а не сегментатор: выберите модель сегментации зданий.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>%1 is a %2 model; the segmentation model must be a segmentor: choose a building segmentation model.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 — модель типа %2; модель сегментации должна быть сегментатором: выберите модель сегментации зданий.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 is a detector but has no single output of shape [N, boxes, 5 + classes]; building-area needs exactly one, with the boxes decoded (cx, cy, w, h in tile pixels, objectness, class scores).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 — детектор, но у него нет единственного выхода формы [N, boxes, 5 + classes]; building-area нужен ровно один, с декодированными рамками (cx, cy, w, h в пикселях тайла, objectness, оценки классов).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 is not a usable ONNX model (%2). Choose a valid .onnx model file.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 — непригодная модель ONNX (%2). Выберите корректный файл модели .onnx.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>%1 is not an object: %2.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 — не объект: %2.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 is not an ONNX model file (.onnx): building-area loads only ONNX models, never pickled Python objects. Export the model to ONNX and choose the .onnx file.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 — не файл модели ONNX (.onnx): building-area загружает только модели ONNX и никогда — сериализованные (pickle) объекты Python. Экспортируйте модель в ONNX и выберите файл .onnx.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>%1 lacks '%2': %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В %1 нет '%2': %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/progress.py"/>
        <source>%1 min %2 s</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 мин %2 с</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>%1 rasters in %2 datasets (a mosaic of tiles is one), %3 units, %4 of them done in an earlier run</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Растров: %1, наборов данных: %2 (мозаика из тайлов — один набор), единиц работы: %3, из них выполнено в прошлом запуске: %4</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 returned boxes of %2; a detector must return [N, boxes, 5 + classes].</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 вернула рамки формы %2; детектор должен возвращать [N, boxes, 5 + classes].</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 takes %2; export it with a float32 or float16 input.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 принимает %2; экспортируйте её со входом float32 или float16.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1 takes input %2; building-area feeds RGB tiles [N, 3, H, W]: export the model with 3 input channels.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1 принимает вход %2; building-area подаёт тайлы RGB [N, 3, H, W]: экспортируйте модель с 3 входными каналами.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>%1, %2 times%3</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1, попыток: %2%3</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: metadata '%2' = %3 is out of range. %4</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: метаданные '%2' = %3 вне допустимого диапазона. %4</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/score_calibration.py"/>
        <source>%1: metadata '%2' is %3, not a list of at least two [raw, calibrated] number pairs. Write it as e.g. %4 (scripts/calibrate_scores.py does), or remove the key.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: метаданные '%2' равны %3, а это не список хотя бы из двух пар чисел [исходная, калиброванная]. Запишите их, например, как %4 (так делает scripts/calibrate_scores.py) или удалите ключ.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: metadata '%2' is missing. %3</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: нет метаданных '%2'. %3</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/score_calibration.py"/>
        <source>%1: metadata '%2' must go up: raw scores strictly increasing, calibrated ones never decreasing, all in [0, 1] (e.g. %3). Fit it again with scripts/calibrate_scores.py, or remove the key.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: метаданные '%2' должны возрастать: исходные оценки строго по возрастанию, калиброванные не убывая, все в [0, 1] (например, %3). Подберите калибровку заново с scripts/calibrate_scores.py или удалите ключ.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: metadata '%2' names '%3', which is not an output of the model (outputs: %4): fix or remove that key.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: метаданные '%2' указывают '%3', а это не выход модели (выходы: %4): исправьте или удалите этот ключ.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: metadata 'class_names' lists %2 classes but the output has %3 channels: list one name per channel (class 1 = building).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: метаданные 'class_names' перечисляют классов: %2, а у выхода каналов: %3; укажите по одному имени на канал (класс 1 = здание).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: metadata 'model_type' is %2; building-area runs 'Segmentor' and 'Detector' models. Add metadata key '%3' (e.g. %4) to the ONNX model's metadata_props, e.g. with onnx.helper.set_model_props, then load the model again.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: метаданные 'model_type' равны %2; building-area выполняет модели 'Segmentor' и 'Detector'. Добавьте ключ метаданных '%3' (например, %4) в metadata_props модели ONNX, например с помощью onnx.helper.set_model_props, затем загрузите модель снова.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: metadata 'tile_size' = %2 contradicts the model's fixed input %3: set 'tile_size' to %4.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: метаданные 'tile_size' = %2 противоречат фиксированному входу модели %3: задайте 'tile_size' равным %4.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: output '%2' has shape %3; it must hold one log(GSD) per image, [N, 1].</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: выход '%2' имеет форму %3; он должен содержать один log(GSD) на изображение, [N, 1].</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: output '%2' holds NaN: the model is broken (check its export and its standardization_mean/std metadata).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: выход '%2' содержит NaN: модель неисправна (проверьте её экспорт и метаданные standardization_mean/std).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: output '%2' holds values outside 0..1 (%3..%4): export it with a sigmoid/softmax.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: выход '%2' содержит значения вне 0..1 (%3..%4): экспортируйте модель с sigmoid/softmax.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: output '%2' is %3 for input %4; a probability output must be [N, C, H, W] at the input's size.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: выход '%2' имеет форму %3 для входа %4; выход вероятности должен быть [N, C, H, W] размера входа.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>%1: output '%2' returned NaN/inf: the GSD head is broken; set a GSD by hand instead.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>%1: выход '%2' вернул NaN/inf: голова GSD неисправна; задайте GSD вручную.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>'%1' has a degenerate geotransform %2 (zero pixel size); fix its georeferencing or remove it.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>У '%1' вырожденное геопреобразование %2 (нулевой размер пикселя); исправьте его привязку или удалите её.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>'%1' has complex-valued band %2; convert it to real values (e.g. amplitude) before detecting buildings.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В '%1' канал %2 комплекснозначный; преобразуйте его в вещественные значения (например, амплитуду) перед поиском зданий.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>'%1' has no pixels (%2 x %3 px, %4 bands). Choose a raster with image data.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В '%1' нет пикселей (%2 x %3 пикс, каналов: %4). Выберите растр с данными снимка.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>'%1' is a container of several rasters; choose one of them, e.g. '%2'.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>'%1' — контейнер из нескольких растров; выберите один из них, например '%2'.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>'%1' is a folder, not a raster: choose an image file inside it.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>'%1' — папка, а не растр: выберите файл снимка внутри неё.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>'%1' is read through QGIS (provider '%2', e.g. a web map), which has no edge to stop at: give the extent to analyse in EXTENT (e.g. the map canvas extent).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>'%1' читается через QGIS (провайдер '%2', например веб-карта), у которого нет границ: задайте охват анализа в EXTENT (например, охват карты).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>'%1' is truncated or corrupt: reading its pixels %2 failed (%3). Copy or export the file again.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>'%1' обрезан или повреждён: чтение его пикселей %2 не удалось (%3). Скопируйте или экспортируйте файл заново.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>10 (percent)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>10 (процентов)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>30 (cm/px)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>30 (см/пикс)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>; the %1 bytes received are kept in %2 and the next download resumes from there</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>; полученные %1 байт сохранены в %2, и следующая загрузка продолжится с этого места</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/detection.py"/>
        <source>A detector's output must be [N, boxes, 5 + classes] (cx, cy, w, h, objectness, class scores); got %1.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Выход детектора должен иметь форму [N, boxes, 5 + classes] (cx, cy, w, h, objectness, оценки классов); получено %1.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>Add metadata key '%1' (e.g. %2) to the ONNX model's metadata_props, e.g. with onnx.helper.set_model_props, then load the model again.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Добавьте ключ метаданных '%1' (например, %2) в metadata_props модели ONNX, например с помощью onnx.helper.set_model_props, затем загрузите модель снова.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/manifest.py"/>
        <source>Another batch run is writing into %1: wait for it to finish, or choose another output.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В %1 уже пишет другой пакетный запуск: дождитесь его окончания или выберите другой результат.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Batch size %1 must be at least 1.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Размер пакета %1 должен быть не меньше 1.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Building scores are calibrated by the model's score_calibration (%1 knots)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Оценки зданий откалиброваны по score_calibration модели (узлов: %1)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/cli.py"/>
        <source>building-area-batch: no segmentation model: the models folder has no building_segmentation*.onnx; give --segmentation-model.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>building-area-batch: нет модели сегментации: в папке моделей нет building_segmentation*.onnx; укажите --segmentation-model.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/detection.py"/>
        <source>Cancelled during building detection.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время детекции зданий.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/inference.py"/>
        <source>Cancelled during building segmentation.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время сегментации зданий.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Cancelled while checking the rasters.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время проверки растров.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/inference.py"/>
        <source>Cancelled while estimating the GSD.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время оценки GSD.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/merge.py"/>
        <source>Cancelled while joining buildings across the units' seams.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время соединения зданий на стыках единиц работы.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/vectorize.py"/>
        <source>Cancelled while measuring buildings.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время измерения зданий.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/merge.py"/>
        <source>Cancelled while merging the units' buildings.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время объединения зданий из единиц работы.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>Cancelled while reading the layer '%1'.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время чтения слоя '%1'.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/fusion.py"/>
        <source>Cancelled while splitting buildings.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время разделения зданий.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/vectorize.py"/>
        <source>Cancelled while thresholding the probability.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено во время пороговой обработки вероятности.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/gdal_calls.py"/>
        <source>Cancelled; could not %1.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отменено; не удалось %1.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>Cannot download the model %1 (%2 MB): %3. Check the internet connection, or %4.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся загрузить модель %1 (%2 МБ): %3. Проверьте подключение к интернету или %4.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>Cannot open %1 to record the GSD's source.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся открыть %1, чтобы записать источник GSD.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/dask_runner.py"/>
        <source>Cannot reach the Dask scheduler at %1 (%2): start it (dask scheduler) and its workers (dask worker %3), or leave out --scheduler to run on this machine.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся связаться с планировщиком Dask по адресу %1 (%2): запустите его (dask scheduler) и его рабочие процессы (dask worker %3) или уберите --scheduler, чтобы считать на этом компьютере.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>Cannot read '%1' as a raster (%2). Choose an image GDAL can open, e.g. a GeoTIFF, JPEG or PNG.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся прочитать '%1' как растр (%2). Выберите снимок, который GDAL может открыть, например GeoTIFF, JPEG или PNG.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/outputs.py"/>
        <source>Cannot write in the folder %1 (%2): choose an output in a folder you can write to, with free disk space.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся записать в папку %1 (%2): выберите для результата папку, доступную для записи, на диске со свободным местом.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>Cannot write the model %1 into %2 (%3): make the folder writable or free %4 MB on its disk.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся записать модель %1 в %2 (%3): сделайте папку доступной для записи или освободите %4 МБ на её диске.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/manifest.py"/>
        <source>Cannot write the work folder %1 (%2): choose an output in a folder you can write to.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся записать рабочую папку %1 (%2): выберите результат в папке, доступной для записи.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Checking %1 rasters</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Проверка растров: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/gdal_calls.py"/>
        <source>Could not %1: %2. Check free disk space and write permission in that folder.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удалось %1: %2. Проверьте свободное место на диске и права на запись в эту папку.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/units.py"/>
        <source>Could not build the mosaic of %1 tiles (%2).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удалось собрать мозаику из %1 тайлов (%2).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/outputs.py"/>
        <source>Could not write %1 (%2): close it in other programs (a layer open in QGIS may lock it) and run again.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удалось записать %1 (%2): закройте его в других программах (его может блокировать слой, открытый в QGIS) и запустите снова.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/merge.py"/>
        <source>Could not write a building to %1. Check free disk space and write permission in that folder.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удалось записать здание в %1. Проверьте свободное место на диске и право записи в эту папку.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/vector.py"/>
        <source>create %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>создать %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/vector.py"/>
        <source>create layer '%1' in %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>создать слой '%1' в %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Dask dashboard: %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Панель Dask: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/areas.py"/>
        <source>Degenerate geotransform %1: pixel size is zero.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Вырожденное геопреобразование %1: размер пикселя равен нулю.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Detected in</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Детекция</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Detection by the segmentation model's own box output: one network run per tile for both</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Детекция по собственному выходу рамок модели сегментации: один прогон сети на тайл для обеих задач</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Detection confidence %1 must lie in [0, 1) (0 = the model's own), e.g. 0.3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Порог уверенности детекции %1 должен лежать в [0, 1) (0 = порог модели), например 0.3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Detection model %1 (version %2) runs on %3</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модель детекции %1 (версия %2) выполняется на %3</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/detection.py"/>
        <source>Detection model %1 is a %2 model; the detection model must have metadata model_type 'Detector' and output boxes [N, boxes, 5 + classes] (or be a segmentor whose metadata names its boxes in 'detection_output').</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модель детекции %1 — модель типа %2; у модели детекции должны быть метаданные model_type 'Detector' и выход рамок [N, boxes, 5 + classes] (или это модель сегментации, в метаданных которой выход рамок указан в 'detection_output').</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/detection.py"/>
        <source>Detection model %1: %2 buildings in %3 tiles (confidence &gt;= %4, NMS IoU %5)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модель детекции %1: зданий — %2 в %3 тайлах (уверенность &gt;= %4, IoU для NMS %5)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Detection NMS IoU %1 must lie in [0, 1] (0 = the model's own); dense districts need a high one, e.g. 0.65.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>IoU для NMS детекции %1 должен лежать в [0, 1] (0 = значение модели); для плотной застройки нужен высокий, например 0.65.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Detection: %1 buildings in the segmentation's %2 tiles (confidence &gt;= %3, NMS IoU %4)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Детекция: %1 зданий в %2 тайлах сегментации (уверенность &gt;= %3, NMS IoU %4)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Detections %1 must be a GeoPackage: give it the extension .gpkg.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Файл детекций %1 должен быть GeoPackage: дайте ему расширение .gpkg.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>detections GeoPackage</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>GeoPackage детекций</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Done</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Готово</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>download it by hand from %1 and put it in %2 (size %3 bytes, SHA-256 %4)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>скачайте её вручную с %1 и положите в %2 (размер %3 байт, SHA-256 %4)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Dropped %1 outlines that hold no detection box and score under %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Отброшено контуров без рамки детектора и с оценкой ниже %2: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>Empty window or output size: %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Пустое окно или выходной размер: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/areas.py"/>
        <source>Expected a Polygon or MultiPolygon, got %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Ожидался Polygon или MultiPolygon, получено: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>expected uint8 [N, 3, H, W], got %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>ожидался uint8 [N, 3, H, W], получено %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/merge.py"/>
        <source>finish writing %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>завершить запись %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/gdal_calls.py"/>
        <source>GDAL gave no reason</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>GDAL не сообщил причину</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/fusion.py"/>
        <source>geotransform %1 cannot be inverted</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>геопреобразование %1 необратимо</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/gsd.py"/>
        <source>GSD %1 m/px is out of range: enter the ground size of one pixel in metres, between %2 and %3 (e.g. 0.3), or leave it empty/0 for automatic.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>GSD %1 м/пикс вне допустимого диапазона: введите размер одного пикселя на местности в метрах, от %2 до %3 (например, 0.3), или оставьте пустым/0 для автоматического определения.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>GSD %1 m/px%2 from %3; model trained at %4 m/px</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>GSD %1 м/пикс%2, источник: %3; модель обучена на %4 м/пикс</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/inputs.py"/>
        <source>Input not found: '%1'. Give raster files, folders, globs such as 'tiles/*.tif', VRTs or text files listing them.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Входные данные не найдены: '%1'. Укажите растровые файлы, папки, шаблоны вроде 'tiles/*.tif', VRT или текстовые файлы с их списком.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>Input raster '%1' is not readable: give yourself read permission on it (or copy it to a folder of yours) and run again.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Входной растр '%1' недоступен для чтения: дайте себе право на чтение (или скопируйте его в свою папку) и запустите снова.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>Input raster not found: '%1'. Check the path and that the file exists.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Входной растр не найден: '%1'. Проверьте путь и существование файла.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/checksums.py"/>
        <source>Line %1 of the checksum list %2 is not '&lt;sha256&gt;  &lt;file name&gt;': %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Строка %1 списка контрольных сумм %2 не имеет вида '&lt;sha256&gt;  &lt;имя файла&gt;': %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Margin %1 px must lie between 0 and half the window (%2 px).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Поле %1 пикс. должно быть от 0 до половины окна (%2 пикс.).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Measuring %1 outlines</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Измерение контуров: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Merging %1 units</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Объединение единиц работы: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Minimum area %1 m² must be a number, 0 or more (e.g. 2).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Минимальная площадь %1 м² должна быть числом не меньше 0 (например, 2).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>Model %1 of the manifest %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модель %1 манифеста %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>Model file %1 does not exist: choose an existing .onnx file.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Файл модели %1 не существует: выберите существующий файл .onnx.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>Model metadata '%1' is %2, not a number. %3</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Метаданные модели '%1' равны %2, а не числу. %3</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>Model metadata '%1' is %2: it needs one number per RGB channel. %3</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Метаданные модели '%1' равны %2: нужно по одному числу на канал RGB. %3</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>Model metadata 'class_names' has keys that are not class numbers: %1. %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В метаданных модели 'class_names' есть ключи, не являющиеся номерами классов: %1. %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>Model metadata 'class_names' is %1, not a mapping. %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Метаданные модели 'class_names' равны %1, а не словарю. %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>Model metadata 'tile_size' (%1) and 'tiles_size' (%2) contradict each other: keep only one of them.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Метаданные модели 'tile_size' (%1) и 'tiles_size' (%2) противоречат друг другу: оставьте только одно из них.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>No detection model: the detections GeoPackage is not written.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Нет модели детекции: GeoPackage детекций не записывается.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>No raster to process among the inputs. %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Среди входных данных нет растров для обработки. %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>No raster to process among the inputs: give raster files, folders, globs, VRTs or lists of them.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Среди входных данных нет растров для обработки: укажите растровые файлы, папки, шаблоны, VRT или их списки.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>no reason given</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>причина не указана</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>not a raster format GDAL knows</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>формат растра, неизвестный GDAL</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/model.py"/>
        <source>onnxruntime is not installed in QGIS's Python. Install it with 'python3 -m pip install onnxruntime' (or 'onnxruntime-gpu' for an NVIDIA GPU) using the Python that QGIS runs, then restart QGIS.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>onnxruntime не установлен в Python, который использует QGIS. Установите его командой 'python3 -m pip install onnxruntime' (или 'onnxruntime-gpu' для GPU NVIDIA) тем Python, который запускает QGIS, затем перезапустите QGIS.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Output %1 must be a GeoPackage: give it the extension .gpkg.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Результат %1 должен быть GeoPackage: дайте ему расширение .gpkg.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>output GeoPackage</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>выходной GeoPackage</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/vectorize.py"/>
        <source>polygonize the building mask</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>векторизовать маску зданий</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>probability raster</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>растр вероятности</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>QGIS cannot render the layer '%1' for reading.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>QGIS не может отрисовать слой '%1' для чтения.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>QGIS returned no image for the layer '%1' (%2). Check that the layer draws on the map, then run again.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>QGIS не вернул изображение слоя '%1' (%2). Проверьте, что слой отображается на карте, затем запустите снова.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>Read %1 of %2 blocks of '%3'</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Прочитано блоков: %1 из %2 слоя '%3'</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>Read '%1' through QGIS onto %2 x %3 px of %4 m in a local transverse Mercator CRS centred on the extent: the GSD is exact, chosen by resampling the layer.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Слой '%1' прочитан через QGIS на сетку %2 x %3 пикс по %4 м в локальной поперечной проекции Меркатора с центром в охвате: GSD точный, задан передискретизацией слоя.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/unit.py"/>
        <source>Read without its neighbouring tiles, whose mosaic could not be read: %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Прочитан без соседних тайлов, так как их мозаику не удалось прочитать: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/raster.py"/>
        <source>Reading the mask of '%1' failed; the file may be corrupt.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удалось прочитать маску '%1'; возможно, файл повреждён.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>Reading the web layer '%1' failed: %2 for %3%4. Check that the service answers (open the URL in a browser) and that the layer's URL is right, then run again.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удалось прочитать веб-слой '%1': %2 для %3%4. Проверьте, что сервис отвечает (откройте URL в браузере) и что URL слоя верен, затем запустите снова.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Regularized outlines: %1 m² in all (%2 % against the mask's %3 m²); %4 outlines fit no right-angled one and are kept as found</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Регуляризованные контуры: всего %1 м² (%2 % к площади маски %3 м²); %4 контуров не подходят под прямоугольные и оставлены как найдены</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/checksums.py"/>
        <source>reinstall the plugin (developers: run scripts/update_checksums.py after changing a model)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>переустановите модуль (разработчикам: запустите scripts/update_checksums.py после изменения модели)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>reinstall the plugin (developers: run scripts/update_manifest.py after changing a model)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>переустановите модуль (разработчикам: запустите scripts/update_manifest.py после изменения модели)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Removed %1 partial units left by an interrupted run or a lost worker</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Удалено незавершённых единиц работы, оставшихся от прерванного запуска или потерянного рабочего процесса: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Removed %1 temporary files left by an interrupted earlier run</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Удалено временных файлов, оставшихся от прерванного запуска: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/probability.py"/>
        <source>resample the probability into %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>передискретизировать вероятность в %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Resampling the probability to the raster's grid</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Передискретизация вероятности на сетку растра</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Resampling: %1 model pixels per %2 raster pixels (work grid %3 x %4 px)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Передискретизация: %1 пикс модели на %2 пикс растра (рабочая сетка %3 x %4 пикс)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/merge.py"/>
        <source>save the buildings in %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>сохранить здания в %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/detections_output.py"/>
        <source>save the detections in %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>сохранить результаты детекции в %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/vectorize.py"/>
        <source>save the outlines in %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>сохранить контуры в %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/merge.py"/>
        <source>save the table %1 in %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>сохранить таблицу %1 в %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Segmentation model %1 (version %2) runs on %3</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модель сегментации %1 (версия %2) выполняется на %3</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Segmented</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Сегментация</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Split %1 blobs of touching roofs into %2 buildings</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Пятен соприкасающихся крыш разделено: %1, получено зданий: %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/dask_runner.py"/>
        <source>Stopped after %1 of %2 units; the finished ones are kept: run the same command again (same output) to resume.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Остановлено после %1 из %2 единиц работы; готовые сохранены: запустите ту же команду снова (с тем же результатом), чтобы продолжить.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/outputs.py"/>
        <source>The %1 %2 already exists: choose another file or allow overwriting.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Файл (%1) %2 уже существует: выберите другой файл или разрешите перезапись.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/checksums.py"/>
        <source>The checksum list %1 cannot be read (%2), so the shipped models cannot be verified: %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся прочитать список контрольных сумм %1 (%2), поэтому модели из поставки нельзя проверить: %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>the connection failed (%1)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>ошибка соединения (%1)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>The dashboard needs the Python package bokeh (python3 -m pip install bokeh) for its plots.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Для графиков панели нужен пакет Python bokeh (python3 -m pip install bokeh).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/dask_runner.py"/>
        <source>The Dask workers cannot run the plugin's code (%1): start each worker with this checkout on its PYTHONPATH and the plugin's runtime packages installed (the same venv), e.g. PYTHONPATH=/path/to/building-area dask worker tcp://scheduler:8786.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Рабочие процессы Dask не могут выполнить код модуля (%1): запускайте каждый рабочий процесс с этой копией репозитория в PYTHONPATH и с установленными пакетами модуля (тот же venv), например PYTHONPATH=/path/to/building-area dask worker tcp://scheduler:8786.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>The detections GeoPackage needs its own file name, not the output's or the probability raster's.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>GeoPackage детекций нужно собственное имя файла, отличное от имён результата и растра вероятности.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>The download of %1 was cancelled; the %2 bytes received are kept in %3 and the next download resumes from there.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Загрузка %1 отменена; полученные %2 байт сохранены в %3, и следующая загрузка продолжится с этого места.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>The extent %1 does not overlap the raster %2: choose an extent over the raster (in the raster's CRS).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Охват %1 не пересекается с растром %2: выберите охват над растром (в СК растра).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>The extent %1 is empty or not finite: give xmin &lt; xmax and ymin &lt; ymax, or no extent for the whole raster.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Охват %1 пуст или не конечен: задайте xmin &lt; xmax и ymin &lt; ymax или не задавайте охват, чтобы обработать весь растр.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>the file received has SHA-256 %1, not the manifest's %2: it is corrupt or another file, and was deleted</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>SHA-256 полученного файла — %1, а не %2 по манифесту: файл повреждён или это другой файл; он удалён</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/inputs.py"/>
        <source>The folder '%1' holds no raster files (by extension: %2, ...): choose the folder of the images.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>В папке '%1' нет растровых файлов (по расширению: %2, ...): выберите папку со снимками.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/outputs.py"/>
        <source>The folder of the %1 %2 does not exist: create it or choose another.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Папка файла (%1) %2 не существует: создайте её или выберите другую.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/outputs.py"/>
        <source>The folder of the %1 %2 is not writable: choose another folder.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Папка файла (%1) %2 недоступна для записи: выберите другую папку.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>The georeferencing says %1 m/px but the image looks like %2 m/px to the model (%3x apart): areas use the georeferencing's; if the CRS or geotransform is wrong (e.g. a screenshot placed on a web map), fix it or enter the GSD by hand.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>По привязке %1 м/пикс, но для модели снимок выглядит как %2 м/пикс (расхождение в %3 раза): площади считаются по привязке; если СК или геопреобразование неверны (например, снимок экрана, положенный на веб-карту), исправьте их или введите GSD вручную.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>The ground sampling distance of %1 is unknown: it has no georeferencing and the model %2 cannot estimate it%3. Enter the GSD (metres per pixel, e.g. 0.3) in the GSD parameter, or georeference the raster.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Размер пикселя на местности (GSD) для %1 неизвестен: у растра нет привязки, а модель %2 не может его оценить%3. Введите GSD (метров на пиксель, например 0.3) в параметре GSD или привяжите растр.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/web_raster.py"/>
        <source>The layer '%1' shows nothing in the extent: every pixel read is transparent. Choose an extent the layer covers (zoom the map onto its imagery).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Слой '%1' ничего не показывает в охвате: все прочитанные пиксели прозрачны. Выберите охват, покрытый слоем (приблизьте карту к его изображению).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/inputs.py"/>
        <source>The list '%1' names no input: write one raster, folder or glob per line.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Список '%1' не содержит входных данных: пишите по одному растру, папке или шаблону в строке.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>The model %1 (%2 MB) is not installed: this build of the plugin downloads its models on first use. Press the Building area toolbar button in QGIS once to download it, or %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модель %1 (%2 МБ) не установлена: эта сборка модуля загружает свои модели при первом использовании. Нажмите один раз кнопку «Площадь зданий» на панели инструментов QGIS, чтобы загрузить её, или %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>The model manifest %1 cannot be read (%2): %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Не удаётся прочитать манифест моделей %1 (%2): %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>The model manifest %1 is not a format-%2 manifest with a 'models' list: %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Манифест моделей %1 — не манифест формата %2 со списком 'models': %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/manifest.py"/>
        <source>The model manifest %1 is not valid JSON (%2): %3.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Манифест моделей %1 — некорректный JSON (%2): %3.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>The number of %1 (%2) cannot be negative.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Число «%1» (%2) не может быть отрицательным.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>the partial download did not fit the server's file and was deleted; try again</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>частично загруженный файл не совпал с файлом на сервере и удалён; попробуйте ещё раз</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>The probability raster and the output GeoPackage need different file names.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Растру вероятности и выходному GeoPackage нужны разные имена файлов.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/processing/dependencies.py"/>
        <source>The Python package '%1' is not installed in the Python that QGIS uses. Install it with: python3 -m pip install %2 (Windows: from the OSGeo4W Shell; Debian/Ubuntu: in a venv created with --system-site-packages whose site-packages is on QGIS's PYTHONPATH, as scripts/qgis_process.sh does).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Пакет Python '%1' не установлен в Python, который использует QGIS. Установите его: python3 -m pip install %2 (Windows: из OSGeo4W Shell; Debian/Ubuntu: в venv, созданном с --system-site-packages, чей site-packages указан в PYTHONPATH для QGIS, как делает scripts/qgis_process.sh).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/gsd.py"/>
        <source>The raster's pixel size cannot be converted to metres: its CRS has no usable length unit (or the raster lies outside the CRS's valid area). Enter the ground sampling distance (metres per pixel) in the GSD parameter.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Размер пикселя растра нельзя перевести в метры: у его системы координат нет пригодной единицы длины (или растр лежит вне области действия СК). Введите размер пикселя на местности (метров на пиксель) в параметре GSD.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>the server answered HTTP %1 %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>сервер ответил HTTP %1 %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>the server closed the connection early</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>сервер преждевременно закрыл соединение</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/model_download.py"/>
        <source>the server sends more than the manifest's %1 bytes: it is another file</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>сервер передаёт больше, чем %1 байт по манифесту: это другой файл</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/checksums.py"/>
        <source>The shipped model %1 does not match its checksum in %2: the file is damaged or was replaced. %3%4.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модель из поставки %1 не совпадает со своей контрольной суммой в %2: файл повреждён или заменён. %3%4.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/checksums.py"/>
        <source>The shipped model %1 is not listed in %2, so it cannot be verified: %3, or choose a model file outside the plugin's models folder.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Модели из поставки %1 нет в списке %2, поэтому её нельзя проверить: %3 или выберите файл модели вне папки models модуля.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/messages.py"/>
        <source>The unit failed (%1: %2) after its retries; run again to retry it.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Единица работы не выполнена (%1: %2) после повторных попыток; запустите снова, чтобы повторить её.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Threshold %1 must lie between 0 and 1 (exclusive), e.g. 0.5.</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Порог %1 должен лежать строго между 0 и 1, например 0.5.</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Thresholding the probability at %1 and building polygons</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Пороговая обработка вероятности на уровне %1 и построение полигонов</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/stitching.py"/>
        <source>tile row %1 arrived after row %2 was released</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>ряд тайлов %1 пришёл после освобождения ряда %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/tiling.py"/>
        <source>tile size %1 is not a multiple of the alignment %2</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>размер тайла %1 не кратен выравниванию %2</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Touching roofs are not split along edges: the raster's GSD, %1 m, is coarser than the %2 m the model's split works at (split_max_gsd_m)</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Соприкасающиеся крыши не делятся по границам: GSD растра, %1 м, грубее %2 м, на которых работает разделение модели (split_max_gsd_m)</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>unknown</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>неизвестна</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/pipeline.py"/>
        <source>Warning: %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Предупреждение: %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/runner.py"/>
        <source>Window %1 px is too small: give at least %2 px (default 8192).</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>Окно %1 пикс. слишком мало: укажите не меньше %2 пикс. (по умолчанию 8192).</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/probability.py"/>
        <source>write %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>записать %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/core/detections_output.py"/>
        <source>write a detection to %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>записать рамку детекции в %1</translation>
    </message>
    <message>
        <location filename="../../building_area_plugin/batch/vector.py"/>
        <source>write a feature to %1</source>
        <comment>%1, %2, ... are values filled in at run time (names, paths, numbers, other messages).</comment>
        <translation>записать объект в %1</translation>
    </message>
</context>
</TS>
