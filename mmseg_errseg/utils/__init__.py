"""Small helpers every layer shares: atomic file writes and run provenance (environment, config hash)."""
from .fileio import atomic_path, write_bytes, write_json, write_text
from .provenance import config_hash, environment_info

__all__ = ['atomic_path', 'write_bytes', 'write_text', 'write_json', 'config_hash', 'environment_info']
