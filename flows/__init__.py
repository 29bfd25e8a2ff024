"""regiescan orchestration: Prefect flows, document sources, reports and the CLI."""
