"""Sigma rules, converters and replay for detecting LLMjacking."""

__version__ = "0.1.0"
