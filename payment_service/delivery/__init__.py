"""Outgoing webhooks: the outbox rows and the pool that delivers them, at least once."""
