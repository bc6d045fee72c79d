"""Training side of the building detector (YOLOX, torch only; never imported by the plugin)."""
