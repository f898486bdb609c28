"""Agency nodes (phytosanitary authority, chamber of commerce, TIR guarantee chain, tax administration) on the customs wire."""
