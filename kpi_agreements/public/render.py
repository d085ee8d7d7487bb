"""The public copy of a signed agreement's PDF (models.PublicCopy).

The signed PDF prints, in every KPI Template, the supervisor's and the data collector's office and mobile
phone (DOMAIN §6); §12 allows no phone number in public. So the public copy is the same official template,
same version and wording, rendered by the documents app's own context with those two fields left empty on
people loaded for this rendering only (nothing is saved). Rendered once per signed PDF, on its first public
download, and stored.
"""

import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from kpi_agreements.documents.models import AgreementDocument

from .models import PublicCopy

# Fields of a person the official template could print that the public never sees.
PRIVATE_FIELDS = ("office", "mobile", "email")


def public_html(document: AgreementDocument) -> str:
    from kpi_agreements.documents import render

    agreement = document.agreement
    with translation.override("th"):
        context = render.agreement_context(agreement, draft=False, thai_digits=document.thai_digits)
        for row in context["rows"]:
            for _label, person in row.contacts:
                if person is not None:
                    for name in PRIVATE_FIELDS:
                        setattr(person, name, "")
        html = render_to_string("documents/agreement.html", context)
    return render.thai_digits_html(html) if document.thai_digits else html


def public_pdf(document: AgreementDocument) -> bytes:
    # WeasyPrint is heavy: imported when a copy is rendered, not by every web process.
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from kpi_agreements.documents import render

    fetcher = render.FontsOnlyFetcher(list(render.font_files().values()))
    return HTML(string=public_html(document), url_fetcher=fetcher).write_pdf(font_config=FontConfiguration())


def public_copy_for(document: AgreementDocument) -> PublicCopy:
    """The stored public copy of ``document``, rendered now if there is none yet. Two first downloads at
    once may both render; the first one saved is kept."""
    existing = PublicCopy.objects.filter(document=document).first()
    if existing is not None:
        return existing
    pdf = public_pdf(document)
    copy = PublicCopy(document=document, sha256=hashlib.sha256(pdf).hexdigest())
    fy = document.agreement.fiscal_year.be_year
    copy.file.save(
        f"agreement-{document.agreement_id}-fy{fy}-v{document.version}.pdf", ContentFile(pdf), save=False
    )
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError:
        copy.file.delete(save=False)
        return PublicCopy.objects.get(document=document)
    return copy
