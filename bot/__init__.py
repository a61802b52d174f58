"""Cảnh Giác: a Telegram bot for security-awareness outreach (Directive 07/CT-BCA-V28)."""

__version__ = "0.1.0"
