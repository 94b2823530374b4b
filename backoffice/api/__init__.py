"""Plumbing shared by the JSON APIs: token authentication, idempotency keys, strict JSON bodies and a
small JSON Schema checker. The endpoints themselves live in their apps (orders/api/)."""
