# One image for the three processes of the stack: web (gunicorn), worker (celery worker) and beat
# (celery beat). docker-compose.yml picks the process with `command:`; the default is the web server.
FROM python:3.11-slim-bookworm

# PYTHONPATH=/app: the source tree in /app wins over the copy `pip install .` puts in site-packages, so
# BASE_DIR (templates/, static/, locale/, staticfiles/) is /app for gunicorn, celery and manage.py alike.
# STATIC_MANIFEST=true: whitenoise's CompressedManifestStaticFilesStorage, serving the hashed files
# collected below. gunicorn reads WEB_CONCURRENCY as its default number of workers.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=kpi_agreements.settings \
    STATIC_MANIFEST=true \
    MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

# WeasyPrint (Thai PDFs) needs pango and harfbuzz; the TLWG fonts are a Thai fallback next to the
# Sarabun font shipped by the fontpkg-sarabun wheel; gettext provides msgfmt for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fontconfig \
        fonts-dejavu-core \
        fonts-thai-tlwg-ttf \
        gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info

# Translations and static files are built into the image. HTTPS stays unset here, so settings does not
# ask for a SECRET_KEY; DATABASE_URL is unset too, and neither command touches the database.
# The build has no SECRET_KEY, so settings write a throwaway key to var/; none may ship in the image.
RUN python manage.py compilemessages \
    && python manage.py collectstatic --noinput \
    && rm -rf var

# Run as an unprivileged user: the code is read-only for it, only MEDIA_ROOT (a volume in compose) is
# writable, and celery beat keeps its schedule file in /tmp.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app \
    && mkdir -p /data/media \
    && chown app:app /data/media
USER app

EXPOSE 8000

# Refuse to start with the placeholder SECRET_KEY that docker-compose.yml falls back to when no .env
# sets one (the placeholder keeps `docker compose config` working); then run the command as PID 1.
ENTRYPOINT ["/bin/sh", "-c", "case \"$SECRET_KEY\" in change-me*) echo 'SECRET_KEY is the docker-compose.yml placeholder: set a real one in .env (see docs/deploy.md)' >&2; exit 64;; esac; exec \"$@\"", "entrypoint"]
CMD ["gunicorn", "kpi_agreements.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
