import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SHELF_SECRET", "only-for-the-demo")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "django.contrib.contenttypes", "django.contrib.auth", "notes"]
MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]
ROOT_URLCONF = "shelf.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
# a file in /tmp, as a demo's: the entrypoint's migrate writes it at start (minimal must carry a writable /tmp)
DATABASE_FILE = os.environ.get("SHELF_DB", "/tmp/shelf.sqlite3")
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATABASE_FILE}}
STATIC_URL = "static/"
STATIC_ROOT = ROOT / "collected"
STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
