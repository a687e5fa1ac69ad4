"""Wire-compatible fakes of the payment gateways' REST APIs, for automated tests.

Nothing here imports `payment_service`: the fakes are usable on their own.
"""
