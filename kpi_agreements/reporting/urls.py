"""Every URL of the reporting rounds; each views module keeps the routes of its pages beside them."""

from .views import documents, entry, excel, flow

urlpatterns = [*entry.urlpatterns, *flow.urlpatterns, *documents.urlpatterns, *excel.urlpatterns]
