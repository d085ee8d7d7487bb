from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from .seed_demo import DEMO_PASSWORD, PEOPLE


class Command(BaseCommand):
    help = "Migrate, load the demo data, say how to log in, and run the development server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Prepare everything but do not serve.")

    def handle(self, *args, addrport, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("compilemessages", verbosity=0, ignore=[".venv"])
        call_command("seed_demo")
        lines = [
            "",
            f"KPI Agreements: http://{addrport}/",
            f"Demo users (password for all: {DEMO_PASSWORD}):",
        ]
        for username, title, first, last, _position, roles, _heads in PEOPLE:
            what = ", ".join(f"{role.label} @ {abbr}" for role, abbr in roles) or gettext("Committee member")
            lines.append(f"  {username:<11} {title}{first} {last} — {what}")
        self.stdout.write("\n".join(lines) + "\n")
        if not no_serve:
            call_command("runserver", addrport, use_reloader=False)
