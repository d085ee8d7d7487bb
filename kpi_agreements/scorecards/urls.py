"""Every URL of the scorecards; each views module keeps the routes of its pages beside them."""

from .views import cards, dashboard, exports, tiers

urlpatterns = [*cards.urlpatterns, *dashboard.urlpatterns, *exports.urlpatterns, *tiers.urlpatterns]
