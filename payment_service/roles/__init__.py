"""Process roles: each process of the service does one job, started by one command.

    API          gunicorn's workers answering HTTP (`roles.api`, `roles.gunicorn_config`);
                 no background thread
    sender       `payment-service webhooks deliver`: delivers the outbox (`roles.sender`)
    housekeeper  `payment-service housekeeper`: the periodic jobs of `housekeeping.JOBS`
    fakes        `payment-service fakes`: the fake gateways, for trials and tests

`payment-service serve` runs the API and, unless `--api-only`, a sender and a housekeeper
beside it, as processes it supervises (`roles.supervisor`); the Procfile and `make cluster`
run each role as a process of its own.
"""
