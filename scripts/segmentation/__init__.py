"""Training-side code for the segmentation model (needs torch; never imported by the plugin)."""
