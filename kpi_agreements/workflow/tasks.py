"""The workflow's Celery tasks, imported here so that the worker registers them (Celery autodiscovers
``tasks`` modules) and ``WorkflowConfig.ready()`` does the same in every other process."""

from .notify import send_notice_email, send_step_notices
from .outbox import run_effect, sweep

__all__ = ["run_effect", "send_notice_email", "send_step_notices", "sweep"]
