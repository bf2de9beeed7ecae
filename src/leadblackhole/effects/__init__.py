"""effects subpackage."""
