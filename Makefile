# Building area — setup, tests, demo and packaging on Debian (see README.md).
# Every target is idempotent: apt and pip run only when something is missing or a
# requirements file changed (stamp files under the venvs).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VENV_TRAIN := .venv-train
SYSTEM_PYTHON := /usr/bin/python3
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)

APT_PACKAGES := qgis python3-qgis gdal-bin python3-gdal python3-shapely python3-pyproj \
	python3-numpy python3-requests python3-pytest python3-venv python3-pip xvfb xauth \
	qttools5-dev-tools

# $(call apt_install,packages): install those of the packages that are not installed yet.
define apt_install
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "apt: installing" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

# $(call make_venv,dir,requirements...): a venv on Debian's python that sees apt's QGIS/GDAL,
# with numpy pinned to Debian's own version (PyPI's numpy 2 breaks GDAL's array bindings).
define make_venv
	[ -x $(1)/bin/python ] || $(SYSTEM_PYTHON) -m venv --system-site-packages $(1)
	$(SYSTEM_PYTHON) -c 'import numpy; print("numpy==" + numpy.__version__)' > $(1)/constraints.txt
	$(1)/bin/pip install -q --disable-pip-version-check -c $(1)/constraints.txt $(addprefix -r ,$(2))
	touch $@
endef

.PHONY: help apt setup setup-train test test-other-debian bandit plugin package qgis-process-enable demo screenshot clean \
	translations screenshot-ru \
	train-segmentation export-segmentation train-detection export-detection evaluate benchmark tune-split

help:
	@echo "make demo      detect buildings in a generated town (RASTER=path make demo: in your image)"
	@echo "make test      run the whole test suite (after make bandit, the security scan)"
	@echo "make test-other-debian  the same in a cached debootstrap root of the other Debian (12 <-> 13)"
	@echo "make setup     apt packages + runtime venv ($(VENV))"
	@echo "make setup-train  training venv ($(VENV_TRAIN), CPU torch)"
	@echo "make plugin    assemble build/building_area_plugin;  make package: full and light zips in dist/"
	@echo "make qgis-process-enable  enable the built plugin in the qgis_process profile"
	@echo "make screenshot  docs/screenshot.png from QGIS desktop under Xvfb (the demo's result)"
	@echo "make screenshot-ru  docs/screenshot_ru.png: the same with QGIS and the plugin in Russian"
	@echo "make translations  update building_area_plugin/i18n/*.ts and message_templates.py from the source"

apt:
	$(call apt_install,$(APT_PACKAGES))

setup: $(VENV)/.setup-done
$(VENV)/.setup-done: requirements.txt requirements-dev.txt | apt
	$(call make_venv,$(VENV),requirements.txt requirements-dev.txt)

setup-train: $(VENV_TRAIN)/.setup-done
$(VENV_TRAIN)/.setup-done: requirements-train.txt | apt
	$(call make_venv,$(VENV_TRAIN),requirements-train.txt)

test: setup setup-train bandit
	scripts/qgis_env.sh $(VENV)/bin/python -m pytest tests --ignore=tests/training
	@if [ -d tests/training ]; then \
		scripts/qgis_env.sh $(VENV_TRAIN)/bin/python -m pytest tests/training; rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "tests/training: no tests collected"; \
		elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	fi

# The suite on the other Debian release than this machine's (bookworm <-> trixie, i.e. QGIS 3.22 <->
# 3.40), in a debootstrap root kept in $(DEBIAN_ROOTS) between runs (scripts/debian_root.sh).
# OTHER_DEBIAN=bookworm|trixie picks the release; OTHER_DEBIAN_CMD="make demo" runs another command there.
DEBIAN_ROOTS ?= /var/cache/building-area
OTHER_DEBIAN ?= $(shell . /etc/os-release 2>/dev/null; [ "$$VERSION_CODENAME" = trixie ] && echo bookworm || echo trixie)
OTHER_DEBIAN_CMD ?= make test

test-other-debian:
	DEBIAN_ROOTS=$(DEBIAN_ROOTS) scripts/debian_root.sh $(OTHER_DEBIAN) $(OTHER_DEBIAN_CMD)

# Bandit: the security scan the QGIS plugin repository runs on uploads. Every finding is
# fixed or justified inline with "# nosec BXXX: reason".
bandit: setup
	$(VENV)/bin/bandit -q -r building_area_plugin

# pyrcc5 compiles resources.qrc; without it the plugin loads its icon from the SVG file.
# lrelease (qttools5-dev-tools, in APT_PACKAGES) compiles building_area_plugin/i18n/*.ts into .qm.
plugin: | apt
	$(call apt_install,pyqt5-dev-tools)
	scripts/build_plugin.sh build/building_area_plugin

# Two zips: full (models inside) and -light (no models, <= 25 MB for the plugin repository;
# the plugin downloads its models on first use from the URLs in models/manifest.json).
package: plugin
	$(SYSTEM_PYTHON) scripts/package_plugin.py build/building_area_plugin dist $(VERSION)

# PROFILE=dir chooses the QGIS profile root (default: build/qgis-profile, used by scripts/qgis_process.sh).
qgis-process-enable: plugin
	$(SYSTEM_PYTHON) scripts/enable_plugin.py $(or $(PROFILE),build/qgis-profile)

# RASTER=path: your own image; MODEL=path.onnx: another segmentation model than the shipped one.
demo: setup plugin
	MODEL="$(MODEL)" scripts/demo.sh "$(RASTER)"

# Reproduce the shipped segmentation model from the shared data (see models/README.md).
# SEG_PHASES is the shipped recipe, one phase per word, SCHEDULE:UNTIL:NATIVE — the cosine schedule's
# length in steps, the step the phase ends at, and the share of the GSD head's crops taken at the
# image's own resolution. The long run was shortened once (30 000 -> 12 000 steps at step 4 850), got
# the native GSD crops from step 6 300 and was stopped at step 10 400; its best validated weight average
# (best_ema.pt, step 8 800) is v2.2. The phases replay that. Resumable: rerun to continue from
# $(SEG_RUN)/last.pt (phases already passed are skipped). One schedule of your own: SEG_PHASES=20000:20000:0.5
DATA ?= ../shared/data
SEG_RUN ?= runs/seg_v2
SEG_ENCODER ?= efficientnet_lite0
SEG_PHASES ?= 30000:4850:0 12000:6300:0 12000:10400:0.5
LABELLED = $(filter-out %/unlabelled,$(patsubst %/,%,$(wildcard $(DATA)/*/)))

train-segmentation: setup-train
	set -e; for phase in $(SEG_PHASES); do \
		set -- $$(echo $$phase | tr : ' '); \
		$(VENV_TRAIN)/bin/python scripts/train_segmentation.py $(LABELLED) --out $(SEG_RUN) --encoder $(SEG_ENCODER) \
			--steps $$1 --stop-at $$2 --gsd-native-prob $$3 --warmup 300 --val-every 400 --ckpt-every 50 \
			--channels-last; \
	done

SEG_VERSION ?= 2.2.1
# best_ema.pt: the best validated weight average (v2.2); best.pt: the best raw weights.
SEG_CKPT ?= best_ema.pt
# First the GSD head is refitted on the frozen network as the plugin reads tiles, its interval's error
# held out source by source (scripts/refit_gsd_head.py); then fp32, int8 and fp16.
export-segmentation: setup-train
	$(VENV_TRAIN)/bin/python scripts/refit_gsd_head.py $(SEG_RUN)/$(SEG_CKPT) $(LABELLED) \
		--out $(SEG_RUN)/gsd_refit.pt
	$(VENV_TRAIN)/bin/python scripts/export_segmentation.py $(SEG_RUN)/gsd_refit.pt --out $(SEG_RUN)/export \
		--version $(SEG_VERSION) --calibration $(LABELLED)

# The building detector (YOLOX, see models/README.md): folders with instances.json give its boxes.
# Resumable: rerun to continue from $(DET_RUN)/last.pt; DET_THREADS=1 beside another training.
DET_RUN ?= runs/det_nano
DET_MODEL ?= nano
DET_EPOCHS ?= 100
DET_THREADS ?= 0
# DET_INIT=../shared/weights/yolox_nano_coco.onnx starts a Nano from COCO weights instead of from scratch;
# DET_INIT=models/building_detection_v2.onnx trains the shipped detector further (models/README.md, run 3).
DET_INIT ?=

# DET_ARGS: more options of scripts/train_detection.py (e.g. --warmup-epochs 1 --no-aug-epochs 2).
DET_ARGS ?=

train-detection: setup-train
	$(VENV_TRAIN)/bin/python scripts/train_detection.py $(LABELLED) --out $(DET_RUN) --model $(DET_MODEL) \
		--epochs $(DET_EPOCHS) --threads $(DET_THREADS) $(if $(DET_INIT),--init-onnx $(DET_INIT)) $(DET_ARGS)

export-detection: setup-train
	$(VENV_TRAIN)/bin/python scripts/export_detection.py $(DET_RUN)/best.pt --out $(DET_RUN)/export \
		--calibration $(LABELLED)

# MODEL=path.onnx evaluates another model than the shipped one; SPLIT=all|val|train.
# SEG_ONLY=1: the segmentation comparison of the model card (no detector; without the box-only
# Roboflow images and Dubai, whose GSD is unknown: they add no pixel or area numbers).
EVAL_DATA = $(if $(SEG_ONLY),$(filter-out %/roboflow_buildings_boxes %/dubai_aerial,$(LABELLED)),$(LABELLED))
evaluate: setup
	scripts/qgis_env.sh $(VENV)/bin/python scripts/evaluate.py $(EVAL_DATA) --split $(or $(SPLIT),val) \
		$(if $(MODEL),--model $(MODEL)) $(if $(SEG_ONLY),--detection-model none) \
		--json out/eval_$(or $(SPLIT),val).json

# The instance split's thresholds, tuned on the TRAINING images of the sources with building polygons
# (models/README.md, "Instance split"); TUNE_WRITE=1 writes them into copies of the models under out/tune_split/.
POLYGON_DATA = $(filter %/banepa_nepal %/drone_turkey_labelme %/massachusetts_gdl %/new_brunswick_gdl,$(LABELLED))
tune-split: setup
	scripts/qgis_env.sh $(VENV)/bin/python scripts/tune_split.py $(POLYGON_DATA) \
		$(if $(MODEL),--model $(MODEL)) --json out/tune_split/tune_split.json \
		$(if $(TUNE_WRITE),--write-segmentation out/tune_split/segmentation.onnx \
			--write-detection out/tune_split/detection.onnx)

# Speed and memory of the pipeline on a generated SIZE x SIZE px town at 0.3 m (docs/BENCHMARKS.md).
benchmark: setup
	scripts/qgis_env.sh $(VENV)/bin/python scripts/benchmark.py --size $(or $(SIZE),5000) --runs $(or $(RUNS),3) \
		$(if $(DETECT),--detect) --json out/benchmark/bench_$(or $(SIZE),5000).json

# docs/screenshot.png: the real QGIS desktop under Xvfb with the demo's raster and result
# (`make demo` first when out/demo/buildings.gpkg is missing; MODEL= is passed on to it).
screenshot: setup plugin
	[ -f out/demo/buildings.gpkg ] || MODEL="$(MODEL)" scripts/demo.sh
	$(SYSTEM_PYTHON) scripts/screenshot.py

# New or changed user-visible strings: extract them into the .ts (new ones unfinished), then translate them
# (Qt Linguist: linguist building_area_plugin/i18n/building_area_ru.ts, or by hand). Tests fail until both are done.
translations:
	$(SYSTEM_PYTHON) scripts/update_translations.py

# docs/screenshot_ru.png: QGIS and the plugin in Russian (locale override in the throwaway profile).
screenshot-ru: setup plugin
	[ -f out/demo/buildings.gpkg ] || MODEL="$(MODEL)" scripts/demo.sh
	$(call apt_install,python3-pil)
	$(SYSTEM_PYTHON) scripts/screenshot.py --locale ru --palette --out docs/screenshot_ru.png

clean:
	rm -rf build dist out
