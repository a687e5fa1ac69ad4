"""The behaviour of payments and reservations, free of HTTP: what the API and the CLI call."""
