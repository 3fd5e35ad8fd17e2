# One image for the web app and the Celery workers (docker-compose.yml picks the process).
# Runtime packages only (requirements.txt); the processes run as the unprivileged user `dser`.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYOPENGL_PLATFORM=egl
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends \
        make ffmpeg espeak-ng libegl1 libgl1-mesa-dri libgles2 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 dser \
    && mkdir -p /data && chown dser:dser /data
COPY requirements.txt .
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements.txt && touch .venv/.installed
COPY --chown=dser:dser . .
USER dser
EXPOSE 8000
CMD ["make", "web"]
