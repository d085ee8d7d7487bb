from celery import shared_task


@shared_task
def open_due_rounds() -> int:
    """Beat, daily: open the rounds whose opening date has come; build reports of newly signed agreements."""
    from .services.rounds import open_due_rounds as run

    return run()
