"""Renderers: views in, text, JSON-ready dicts, HTML and PNG out. No arithmetic here."""
