"""The test suite's settings: the production module, fed a throwaway environment.

Only the environment is set here; every setting is still read by ``config.settings``, so the tests
run the configuration that production runs (DEBUG off, manifest-free static files aside).
"""

import base64
import os
import secrets
import tempfile

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DATA_KEYS", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("SITE_URL", "http://testserver")
if "LOG_KEY" not in os.environ and "LOG_KEY_FILE" not in os.environ:
    from undersigned.ledger.tlog import Signer

    os.environ["LOG_KEY"] = Signer.generate("testserver/log").skey
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["DEBUG"] = "false"
# Files the code writes (demo keys, the outbox) go to a directory of each test process's own.
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="undersigned-test-var-"))

from config.settings import *  # noqa: E402, F403

# Tests clear the cache between them; they must never touch a Redis named in the environment.
# Tests of Redis get their own database through the ``redis_url`` fixture.
REDIS_URL = None
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405

# Hashed static names need ``collectstatic`` first; tests read static files from the source tree.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
