"""quotes: one quote a day, as JSON."""
