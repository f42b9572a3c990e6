"""Small helpers every layer shares: atomic file writes, run provenance, reading the files a user names."""
from .fileio import atomic_path, write_bytes, write_json, write_text
from .loading import check_device, config_errors, load_config, read_checkpoint
from .provenance import config_hash, environment_info, portable_path, package_version

__all__ = ['atomic_path', 'write_bytes', 'write_text', 'write_json', 'config_hash', 'environment_info', 'portable_path',
           'config_errors', 'load_config', 'read_checkpoint', 'check_device', 'package_version']
