import subprocess
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "locale" / "th" / "LC_MESSAGES" / "django.po"


def test_the_thai_catalogue_is_complete():
    out = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "untranslated" not in out.stderr and "fuzzy" not in out.stderr, out.stderr


def test_the_catalogue_holds_every_string_of_the_code_and_templates(tmp_path):
    """Run makemessages on a copy: anything it adds untranslated means someone forgot the catalogue."""
    import shutil
    import sys

    root = PO.parents[3]
    for name in ("kpi_agreements", "templates", "locale"):
        shutil.copytree(root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(root / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "th", "-v", "0"], cwd=tmp_path, check=True
    )
    out = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(tmp_path / PO.relative_to(root))],
        capture_output=True,
        text=True,
    )
    assert "untranslated" not in out.stderr and "fuzzy" not in out.stderr, out.stderr


def test_thai_is_the_default_language_even_for_an_english_browser(db, client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="th"' in page and "เข้าสู่ระบบ" in page


def test_english_is_chosen_in_the_language_menu(db, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page and "Log in" in page
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"
