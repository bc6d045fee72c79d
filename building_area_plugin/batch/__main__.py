"""python -m building_area_plugin.batch INPUT... --output city.gpkg (see cli.py)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
