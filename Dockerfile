# Production image: the same pinned stack as `make setup`, without test tools.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 VAR_DIR=/var/lib/classroom
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext libegl1 libgles2 fonts-dejavu-core janus-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN python -m pip install --no-cache-dir -r requirements.txt \
 && python -m pip install --no-cache-dir --force-reinstall --no-deps "$(grep -E '^opencv-python-headless==' requirements.txt)"
COPY . .
RUN python -m models fetch \
 && python manage.py compilemessages -v0 --ignore=.venv \
 && SECRET_KEY=build python manage.py collectstatic --noinput -v0
RUN useradd --system --home /var/lib/classroom classroom && mkdir -p /var/lib/classroom && chown classroom /var/lib/classroom
USER classroom
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "server.asgi:application"]
