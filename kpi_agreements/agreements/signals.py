"""Signals other apps listen to, so the agreements app needs to know nothing of them."""

from django.dispatch import Signal

# Sent inside the transaction of an approved change request, after the new version is stored (§9).
agreement_amended = Signal()  # sender=Agreement, agreement=<Agreement>, change=<ChangeRequest>
