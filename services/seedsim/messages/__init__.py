"""Message types, one module per family; each exports ``MESSAGE_TYPES`` for the catalogue."""
