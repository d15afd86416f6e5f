"""A local Discord-compatible REST + gateway server: the real bot runs end to end with no token."""
