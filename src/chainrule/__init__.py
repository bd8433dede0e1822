"""chainrule: neural-network mathematics from first principles, as a declarative experiment pipeline."""

__version__ = "0.1.0"
