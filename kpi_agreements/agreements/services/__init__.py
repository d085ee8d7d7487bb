"""Services of agreements: each owns its transaction, checks its rule and records history (STYLE.md)."""
