"""What both fake gateways share: HTTP conventions, validation, volatile storage, webhooks."""
