"""JWT authentication: SimpleJWT's, hardened against a well-signed token with a bad user id."""

from django.core.exceptions import ValidationError
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken


class AccessTokenAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        try:
            return super().get_user(validated_token)
        except (ValidationError, ValueError, TypeError):
            # A user_id claim that is not a UUID would otherwise surface as a 500.
            raise InvalidToken("Token contained no recognizable user identification") from None


class AccessTokenScheme(SimpleJWTScheme):
    """Documents AccessTokenAuthentication in OpenAPI as the bearer JWT scheme it is."""

    target_class = AccessTokenAuthentication
