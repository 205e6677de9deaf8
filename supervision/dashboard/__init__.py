"""The supervisor's dashboard (JOURNEYS, supervisor): overdue replies first, then every broken
rule, per engineer and team. It reads the selectors of every app; nothing imports it."""
