"""The domain, declared once: areas, indicator catalogs and the warehouse schema."""
