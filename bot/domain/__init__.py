"""Pure domain code: no aiogram, no SQLAlchemy. Tested fast and alone."""
