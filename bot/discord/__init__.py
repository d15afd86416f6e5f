"""The Discord adapter: the client, cogs of app commands, and turning `Reply`s into interaction responses."""
