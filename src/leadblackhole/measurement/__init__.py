"""measurement subpackage."""
