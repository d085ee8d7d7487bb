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


def test_the_catalogue_holds_every_string_of_the_code(tmp_path):
    """Re-extract the strings: a msgid missing from the catalogue means someone forgot makemessages."""
    root = PO.parents[3]
    pot = tmp_path / "fresh.po"
    sources = [
        str(p.relative_to(root))
        for p in sorted((root / "kpi_agreements").rglob("*.py"))
        if "migrations" not in p.parts
    ]
    subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            "--keyword=gettext_lazy",
            "--keyword=gettext",
            "--keyword=_",
            "--keyword=pgettext:1c,2",
            "--keyword=ngettext:1,2",
            "-o",
            str(pot),
            *sources,
        ],
        cwd=root,
        check=True,
    )
    fresh = _msgids(pot.read_text())
    missing = fresh - _msgids(PO.read_text())
    assert not missing, sorted(missing)[:20]


def _msgids(text: str) -> set[str]:
    ids, current, inside = set(), [], False
    for line in text.splitlines():
        if line.startswith("msgid "):
            current, inside = [line[6:].strip().strip('"')], True
        elif inside and line.startswith('"'):
            current.append(line.strip().strip('"'))
        else:
            if inside and "".join(current):
                ids.add("".join(current))
            inside = False
    return ids


def test_thai_is_the_default_language_even_for_an_english_browser(db, client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="th"' in page and "เข้าสู่ระบบ" in page


def test_english_is_chosen_in_the_language_menu(db, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page and "Log in" in page
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"
