"""The edge to the outside world: one module per source, and the shared polite HTTP session."""
