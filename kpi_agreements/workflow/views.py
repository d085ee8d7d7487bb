from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from .models import Notice


@login_required
def notices(request):
    """The user's notices, newest first; opening the page marks them read."""
    items = list(Notice.objects.filter(recipient=request.user)[:100])
    Notice.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "workflow/notices.html", {"notices": items})
