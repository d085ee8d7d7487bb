from pathlib import Path

from django.core.checks import Error, register
from django.utils.translation import gettext_lazy as _


@register()
def thai_font_installed(app_configs, **kwargs):
    """Official PDFs need the Sarabun font; fail at start rather than print boxes later."""
    try:
        import fontpkg

        path = Path(fontpkg.path("Sarabun"))
    except Exception as exc:  # any failure means no font
        return [Error(_("The Sarabun font is not installed: %s") % exc, id="kpi.E001")]
    if not path.exists():
        return [Error(_("The Sarabun font file is missing: %s") % path, id="kpi.E001")]
    return []
