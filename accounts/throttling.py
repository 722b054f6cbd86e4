"""The sign-in throttle that knows what an account's email is."""

import hashlib

from accounts.models import normalize_email
from taskapi.throttling import FixedWindowThrottle


class LoginEmailRateThrottle(FixedWindowThrottle):
    """Sign-in attempts per email address, to slow password guessing spread over many IPs."""

    rate_setting = "login_email"

    def get_key(self, request, view) -> str | None:
        email = request.data.get("email")
        if not isinstance(email, str) or not email:
            return None
        # Hashed: addresses stay out of the cache, and any length makes a short key.
        return hashlib.sha256(normalize_email(email).encode("utf-8", "replace")).hexdigest()
