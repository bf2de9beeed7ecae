"""reporting subpackage."""
