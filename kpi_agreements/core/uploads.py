"""Uploaded files are judged by what they are, not by their name or what the browser claims (issue 8).

``check_upload`` is the one gate for every upload: the size first (before anything is read), then the real
type from the content, and the name's extension must agree with it. ``detect`` finds the type:

- PDF: starts with ``%PDF-`` and has its ``%%EOF`` trailer near the end;
- PNG, JPEG: Pillow reads the header (format, size in pixels) and checks what it can without decoding;
- Word (.docx), Excel (.xlsx): a zip whose ``[Content_Types].xml`` names the document's main part.

A file that is two things at once (a PDF or image that is also a zip or starts like a web page: a
"polyglot") is refused, and so is a zip that would inflate far beyond its size (a "zip bomb"), before any
member is unpacked. ``attachment`` serves a stored file back only as a download.
"""

import os
import posixpath
import zipfile
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image

MAX_EXPANDED_BYTES = 50 * 1024 * 1024  # all members of a zip together, once unpacked
MAX_RATIO = 100  # unpacked / packed size of one member; real documents stay far below
RATIO_FLOOR = 1024 * 1024  # smaller members may compress arbitrarily well and cannot hurt
MAX_INDEX_BYTES = 1024 * 1024  # [Content_Types].xml is a few kilobytes in real documents
SNIFF_BYTES = 1445  # how far a browser looks for HTML (the MIME Sniffing Standard's resource header)
HTML_MARKERS = (b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg", b"<!doctype html")

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".docx": "docx", ".xlsx": "xlsx"}
EXTENSION_OF = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "docx": ".docx", "xlsx": ".xlsx"}
LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG", "docx": "Word (.docx)", "xlsx": "Excel (.xlsx)"}
OFFICE_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
MAGIC = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def megabytes(size: int) -> str:
    return f"{size / 2**20:g}"


def file_size(f) -> int:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def _read_at(f, offset: int, length: int) -> bytes:
    f.seek(offset)
    data = f.read(length)
    f.seek(0)
    return data


def open_zip(f) -> zipfile.ZipFile | None:
    """The zip, after its central directory says it stays small when unpacked; None if it is no zip.

    zipfile never returns more than a member's declared size (a lie fails its CRC), so the declared sizes
    are a safe bound for everything that reads the archive afterwards.
    """
    try:
        archive = zipfile.ZipFile(f)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        f.seek(0)
        return None
    if sum(m.file_size for m in members) > MAX_EXPANDED_BYTES:
        archive.close()
        raise ValidationError(
            _("The file expands to more than %(mb)s MB when unzipped; it may be damaged or malicious.")
            % {"mb": megabytes(MAX_EXPANDED_BYTES)},
            code="zip_bomb",
        )
    if any(m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * m.compress_size for m in members):
        archive.close()
        raise ValidationError(
            _(
                "The file expands to more than %(ratio)s times its size when unzipped; it may be damaged or "
                "malicious."
            )
            % {"ratio": MAX_RATIO},
            code="zip_bomb",
        )
    return archive


def office_main_part(archive: zipfile.ZipFile) -> tuple[str, str] | None:
    """(kind, part name) of a Word or Excel document's main part, from its ``[Content_Types].xml``."""
    try:
        index = archive.getinfo("[Content_Types].xml")
        if index.file_size > MAX_INDEX_BYTES:
            return None
        root = ElementTree.fromstring(archive.read(index))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, EOFError, ValueError):
        return None
    names = set(archive.namelist())
    for override in root.iter(f"{CONTENT_TYPES_NS}Override"):
        kind = OFFICE_MAIN.get(override.get("ContentType", ""))
        part = override.get("PartName", "").lstrip("/")
        if kind and part in names:
            return kind, posixpath.normpath(part)
    return None


def _is_zip(f) -> bool:
    try:
        with zipfile.ZipFile(f) as archive:
            return bool(archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False
    finally:
        f.seek(0)


def _refuse_polyglot(f, head: bytes, kind: str) -> None:
    lowered = head[:SNIFF_BYTES].lower()
    if any(marker in lowered for marker in HTML_MARKERS) or _is_zip(f):
        raise ValidationError(
            _(
                "The file is a %(kind)s and at the same time a ZIP archive or a web page; it may be "
                "malicious. Save it again as a plain %(kind)s and upload the copy."
            )
            % {"kind": LABELS[kind]},
            code="polyglot",
        )


def _check_pdf(f, size: int) -> None:
    if b"%%EOF" not in _read_at(f, max(size - 1024, 0), 1024):
        raise ValidationError(
            _(
                "The PDF is incomplete or damaged (it has no end-of-file marker). Save it again and upload "
                "the copy."
            ),
            code="damaged",
        )


def _check_image(f, kind: str) -> None:
    damaged = ValidationError(
        _("The image cannot be read as a %(kind)s of at most %(pixels)s million pixels; it may be damaged.")
        % {"kind": LABELS[kind], "pixels": Image.MAX_IMAGE_PIXELS // 10**6},
        code="damaged",
    )
    try:
        # Only the one format's reader: a camera's JPEG with several pictures (MPO) is still read as JPEG.
        with Image.open(f, formats=[kind.upper()]) as image:
            if image.width * image.height > Image.MAX_IMAGE_PIXELS:
                raise damaged
            image.verify()  # PNG: every chunk and its checksum (open has read a JPEG's markers)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise damaged from exc
    finally:
        f.seek(0)


def detect(f) -> str | None:
    """The kind of file ``f`` really is (a key of CONTENT_TYPES), or None if it is none of them.

    Raises ValidationError (with its own message) for a file of a known kind that is damaged, is also
    another kind of file, or is a zip bomb.
    """
    head = _read_at(f, 0, SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        archive = open_zip(f)
        if archive is None:
            return None
        with archive:
            main = office_main_part(archive)
        f.seek(0)
        return main[0] if main else None
    kind = next((k for k, magic in MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        return None
    _refuse_polyglot(f, head, kind)
    if kind == "pdf":
        _check_pdf(f, file_size(f))
    else:
        _check_image(f, kind)
    return kind


def check_upload(upload, *, kinds, max_bytes: int, wrong_type: str) -> str:
    """The kind of an uploaded file that is one of ``kinds``, at most ``max_bytes``, named by its kind.

    ``wrong_type`` is the caller's message for a file of another kind. Raises ValidationError.
    """
    if file_size(upload) > max_bytes:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": megabytes(max_bytes)}, code="too_large"
        )
    kind = detect(upload)
    if kind not in kinds:
        raise ValidationError(wrong_type, code="wrong_type")
    extension = posixpath.splitext(upload.name or "")[1].lower()
    if EXTENSIONS.get(extension) != kind:
        raise ValidationError(
            _(
                "The file is a %(kind)s file but its name ends in “%(extension)s”; rename it or upload the "
                "right file."
            )
            % {"kind": LABELS[kind], "extension": extension or "—"},
            code="extension",
        )
    return kind


def attachment(stored, filename: str) -> FileResponse:
    """A stored upload as a download only: never shown inline, and the browser may not guess its type."""
    kind = EXTENSIONS.get(posixpath.splitext(stored.name)[1].lower())
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
