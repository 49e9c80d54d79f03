"""Importers for the platforms' official data exports (`fanlens import-export`)."""
