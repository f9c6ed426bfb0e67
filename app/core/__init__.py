"""Shared kernel: settings, error vocabulary, the caller's identity. Importable by every layer."""
