"""Altair charts, the theme, report pages and exports."""
