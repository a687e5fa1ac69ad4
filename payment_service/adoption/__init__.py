"""Adopting a database of the original TypeScript server, `@samchon/payment-backend`: its
tables are changed in place into payment-service's schema (docs/adoption.md).

PostgreSQL only, as the original was. `adopt.adopt` does the work; `commands` is the CLI
command, which imports the rest only when it runs.
"""
