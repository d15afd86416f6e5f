"""release-bot: a self-hostable Discord bot that counts a community down to a release date."""
