"""The async client: the source that ``scripts/unasync.py`` turns into ``_sync``."""
