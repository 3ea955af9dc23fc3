"""Gradio user interface of Metodguiden."""
