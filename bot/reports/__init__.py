"""Unit reports as files: the report model, a trend chart (PNG), XLSX, CSV and JSON."""
