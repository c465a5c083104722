"""How data flows: refresh, checks, the warehouse and the progress method."""
