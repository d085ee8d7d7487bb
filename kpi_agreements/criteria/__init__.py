"""The scoring engine's Django side (STYLE.md "criteria room"): labels, validation, forms, the calculator and
the five-level rows that every reader of a criteria document uses. Imports no domain app."""
