"""Processing provider and algorithm: translation between QGIS Processing and the core."""
