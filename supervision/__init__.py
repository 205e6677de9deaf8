"""The top app: pages that read every app below it — the supervisor's dashboard, a person's
alerts (they link into tickets and visits) and the outbox. Nothing imports it
(docs/design.md#layers)."""
