"""The people around a family, by team model: coordinator, family team, entry caseworker."""
