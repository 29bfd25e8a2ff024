"""Document sources: where council documents come from (a folder, Open Raadsinformatie)."""
