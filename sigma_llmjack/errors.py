"""Exception types for user-facing failures: each names the file, rule or value involved."""


class LLMjackError(Exception):
    """Base class of errors that the CLI reports as one message without a traceback."""


class ConfigError(LLMjackError):
    """A site configuration file is missing, malformed or sets an unknown key."""


class RuleLoadError(LLMjackError):
    """A rule file could not be read or parsed as Sigma."""


class EmptyRuleFolderError(RuleLoadError):
    """A folder named as rule input contains no ``.yml`` or ``.yaml`` files."""

    def __init__(self, folder: object) -> None:
        super().__init__(f"{folder}: no .yml or .yaml rule files in this folder")
        self.folder = folder
