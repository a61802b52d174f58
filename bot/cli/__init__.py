"""Command-line interface (`canhgiac`)."""
