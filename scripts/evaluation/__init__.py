"""Evaluation of the shipped models through the plugin's own core pipeline (no torch)."""
