"""claude_client: the Python SDK for the Claude Code API Service."""

__version__ = "0.1.0"
