"""Exception types for user-facing failures: each names the file, rule or value involved."""


class LLMjackError(Exception):
    """Base class of errors that the CLI reports as one message without a traceback."""


class ConfigError(LLMjackError):
    """A site configuration file is missing, malformed or sets an unknown key."""


class RuleLoadError(LLMjackError):
    """A rule file could not be read or parsed as Sigma."""
