"""Django settings for Classroom Live.

Every value comes from an environment variable with a safe default, so a fresh
checkout runs with nothing configured (SQLite, in-memory channel layer) and a
deployment changes behaviour only through its environment. See README.md for
the list of variables.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_positive_int(name: str, default: int, why: str) -> int:
    """Read a whole number ≥ 1; anything else stops the start with a message saying why 0 is no answer."""
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number ≥ 1 (got {raw!r}): {why}")
    return int(raw)


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable into a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _load_secret_key() -> str:
    """Return SECRET_KEY from the environment or from an untracked file made once."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _load_secret_key()
SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("SECRET_KEY"))  # a production start needs it (server/startup.py)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "server.admin_site.SchoolAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "server.accounts",
    "server.school",
    "server.notifications",
    "web",
    "chat",
    "chat.attachments",
    "chat.sla",
    "proctor",
    "rtc",
    "lessons",
    "reports",
    "lti",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "server.nul_characters.RefuseNulCharactersMiddleware",
    "server.long_redirects.ShortRedirectsMiddleware",
    "server.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "server.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "server.accounts.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "server.urls"
ASGI_APPLICATION = "server.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,  # a kept connection is tested before reuse: a restarted PostgreSQL is no 500
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the event loop's threads read while another writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "server.redis_layer.RedisChannelLayer",  # channels-redis, fixed for redis-py 8
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": 1000,
                "expiry": 60,
                # a media worker's channel carries the messages of all its sessions
                "channel_capacity": {"proctor.media.*": 10_000},
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "server.memory_layer.MemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection (django-axes): lock a username+IP pair after repeated failures. The address is the
# real client's behind a proxy listed in TRUSTED_PROXIES (server/client_address.py), so one person's failures
# never lock another person, or another address, out.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "server.accounts.lockout.locked_out"  # the page says for how long
AXES_VERBOSE = False

# Cookies: HttpOnly session, SameSite=Lax, Secure unless explicitly turned off
# (browsers accept Secure cookies from http://localhost and 127.0.0.1).
COOKIE_SECURE = env_bool("COOKIE_SECURE", True)
SESSION_COOKIE_SECURE = COOKIE_SECURE
CSRF_COOKIE_SECURE = COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600)))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Behind TLS, browsers are told to use only https for this host (Strict-Transport-Security on https responses).
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600))) if BEHIND_TLS_PROXY else 0


def _trusted_proxies() -> list:
    """Addresses or networks of the reverse proxies whose X-Forwarded-For is believed (server/client_address.py)."""
    from server.client_address import parse_networks

    try:
        return parse_networks(env_list("TRUSTED_PROXIES", ""))
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from error


TRUSTED_PROXIES = _trusted_proxies()
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "web" / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: views check permissions first

# Chat: parents' questions to curators must be answered within this many hours (docs/chat.md).
CHAT_ANSWER_DEADLINE_HOURS = int(os.environ.get("CHAT_ANSWER_DEADLINE_HOURS", "72"))
CHAT_ANSWER_DUE_SOON_HOURS = int(os.environ.get("CHAT_ANSWER_DUE_SOON_HOURS", "24"))

# Proctored exams (rtc/, proctor/): ICE servers for the aiortc peers, as JSON, e.g.
# '[{"urls": ["turn:turn.school.example:3478"], "username": "u", "credential": "p"}]'.
# Empty by default: never aiortc's built-in Google STUN.
RTC_ICE_SERVERS = json.loads(os.environ.get("RTC_ICE_SERVERS", "[]"))
# Media workers (proctor/media/worker.py, docs/proctoring.md "Media path"): the exam cameras' aiortc peers and analysis.
# Each worker announces itself in the database and beats every RTC_MEDIA_HEARTBEAT_SECONDS; one silent for
# RTC_MEDIA_DEAD_AFTER_SECONDS is dead and its sessions move. A new session goes to the least loaded live worker
# (students over RTC_MEDIA_CAPACITY, or host CPU). Without Redis one worker runs inside daphne (embedded); with
# REDIS_URL the workers are `manage.py media_worker [--name NAME]` processes, one per core, unless
# RTC_MEDIA_EMBEDDED=1 (each daphne then runs one too). An offer unanswered for RTC_MEDIA_OFFER_TIMEOUT_SECONDS gets
# an error frame (the page offers again).
RTC_MEDIA_EMBEDDED = not REDIS_URL or env_bool("RTC_MEDIA_EMBEDDED", False)
RTC_MEDIA_CAPACITY = max(1, int(os.environ.get("RTC_MEDIA_CAPACITY", "60")))
RTC_MEDIA_HEARTBEAT_SECONDS = float(os.environ.get("RTC_MEDIA_HEARTBEAT_SECONDS", "1"))
RTC_MEDIA_DEAD_AFTER_SECONDS = float(os.environ.get("RTC_MEDIA_DEAD_AFTER_SECONDS", "4"))
RTC_MEDIA_OFFER_TIMEOUT_SECONDS = float(os.environ.get("RTC_MEDIA_OFFER_TIMEOUT_SECONDS", "5"))
PROCTOR_RESUME_GRACE_SECONDS = float(os.environ.get("PROCTOR_RESUME_GRACE_SECONDS", "60"))
PROCTOR_ANALYSIS_WORKERS = int(os.environ.get("PROCTOR_ANALYSIS_WORKERS", "2"))
PROCTOR_STATS_SECONDS = float(os.environ.get("PROCTOR_STATS_SECONDS", "0"))  # >0: log analysis stats this often
# Every attempt is recorded (proctor.recording; the consent text says so). Off only to measure what recording costs
# (bench/proctor_load.py --recording compares the two in one run).
PROCTOR_RECORDING = env_bool("PROCTOR_RECORDING", True)
# Evidence snapshots of reviewed sessions are deleted this long after the episode (manage.py purge_evidence);
# reference photos and face embeddings this long after upload (manage.py purge_biometrics). Both are biometric
# personal data, so there is no "keep forever", and 0 is refused rather than read as "delete everything now".
_RETENTION_WHY = "biometric data needs a retention period of at least a day (docs/operations.md, Personal data)"
PROCTOR_EVIDENCE_RETENTION_DAYS = env_positive_int("PROCTOR_EVIDENCE_RETENTION_DAYS", 90, _RETENTION_WHY)
BIOMETRIC_RETENTION_DAYS = env_positive_int("BIOMETRIC_RETENTION_DAYS", 365, _RETENTION_WHY)

# Video lessons (lessons/, rtc/janus/, docs/lessons.md). `python -m server.run` starts Janus and sets the
# JANUS_* variables; a deployment lists its instances (API on loopback/private network only).
JANUS_URLS = env_list("JANUS_URLS", "")
JANUS_API_SECRET = os.environ.get("JANUS_API_SECRET", "")
JANUS_ADMIN_KEY = os.environ.get("JANUS_ADMIN_KEY", "")
LESSONS_STUN_URLS = env_list("LESSONS_STUN_URLS", "")
LESSONS_TURN_URLS = env_list("LESSONS_TURN_URLS", "")  # e.g. turn:turn.school.example:3478?transport=udp
LESSONS_TURN_SECRET = os.environ.get("LESSONS_TURN_SECRET", "")  # coturn static-auth-secret
LESSONS_TURN_TTL_SECONDS = int(os.environ.get("LESSONS_TURN_TTL_SECONDS", "3600"))
LESSONS_JOIN_EARLY_MINUTES = int(os.environ.get("LESSONS_JOIN_EARLY_MINUTES", "10"))
LESSONS_LATE_AFTER_MINUTES = int(os.environ.get("LESSONS_LATE_AFTER_MINUTES", "5"))
# Lesson recordings (docs/lessons.md "Recording"): Janus writes its raw .mjr files into LESSONS_RECORDING_RAW_DIR
# (a path Janus can write and the converter can read: the same filesystem, or one mounted at the same path on
# every Janus host); the WebM files made of them live under MEDIA_ROOT/lesson-recordings/ and are deleted this
# many days after the lesson (manage.py purge_lesson_recordings). Voices and faces of minors: 0 is refused.
LESSONS_RECORDING_RAW_DIR = Path(os.environ.get("LESSONS_RECORDING_RAW_DIR", VAR_DIR / "lesson-recordings-raw"))
LESSONS_RECORDING_RETENTION_DAYS = env_positive_int(
    "LESSONS_RECORDING_RETENTION_DAYS", 30, "recordings of lessons are personal data and need a retention period"
)

# Reports (reports/periods.py): terms start on these dates (MM-DD) and last until the next one starts;
# the default is the Russian school's four quarters («четверти»).
REPORTS_TERM_STARTS = os.environ.get("REPORTS_TERM_STARTS", "09-01,11-01,01-09,04-01").split(",")
LESSONS_PARENTS_MAY_JOIN = env_bool("LESSONS_PARENTS_MAY_JOIN", False)

MODELS_CACHE_DIR = Path(os.environ.get("MODELS_CACHE_DIR", VAR_DIR / "models"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Classroom Live <noreply@localhost>")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
