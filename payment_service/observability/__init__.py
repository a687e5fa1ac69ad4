"""Seeing the server at work: request ids, log lines and Prometheus metrics.

`request_ids` follows one request through every log line and the webhooks it causes; `logs`
formats lines as text or JSON; `metrics` holds the metric families; `instrument` wires all
three into the Flask app at the lowest cost per request.
"""
