"""Self-healing (docs/janitor.md): the janitor that re-checks records in doubt with their
gateway (`janitor`), reconciliation on a schedule (`scheduled`), and the findings both keep
for a person, with their audit trail (`findings`: the API the CLI and the console call)."""
