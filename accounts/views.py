"""Auth endpoints: register, obtain, refresh, logout, the current user, password change."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import load_user
from accounts.serializers import (
    AccountDeletionSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    RegistrationResponseSerializer,
    RegistrationSerializer,
    TokenObtainSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
    UserSerializer,
)
from accounts.throttling import LoginEmailRateThrottle
from taskapi.exceptions import UnauthorizedReason
from taskapi.schema import RequestBodyOnDeleteSchema
from taskapi.throttling import ClientIPRateThrottle

# Why the refresh token in a body can be refused (the API's documentation lists these).
REFRESH_TOKEN_REFUSALS = (
    UnauthorizedReason.TOKEN_EXPIRED,
    UnauthorizedReason.TOKEN_INVALID,
    UnauthorizedReason.TOKEN_BLACKLISTED,
)


class PublicAuthView(APIView):
    # Endpoints a client calls before it holds an access token; rate-limited per client
    # address and endpoint (`throttle_scope`). A comment, not a docstring: the API
    # documentation would show a docstring to its readers.

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIPRateThrottle]

    def finalize_response(self, request, response, *args, **kwargs):
        # Their answers carry tokens, or refuse them: no cache of any kind may keep one
        # (RFC 6749, section 5.1).
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class RegisterView(PublicAuthView):
    throttle_scope = "register"

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        summary="Create an account",
        description="Creates your account and signs you in: answers the user and a token pair. "
        "409 if the email already has an account, in any letter case.",
        request=RegistrationSerializer,
        responses={201: RegistrationResponseSerializer, 409: None},
    )
    def post(self, request):
        serializer = RegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        body = {"user": UserSerializer(user).data, **TokenPairSerializer.for_user(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenObtainView(PublicAuthView):
    throttle_scope = "token"
    throttle_classes = [ClientIPRateThrottle, LoginEmailRateThrottle]
    unauthorized_reasons = (UnauthorizedReason.CREDENTIALS_INVALID,)

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        summary="Sign in",
        description="Exchanges your email and password for an access token, sent as "
        "`Authorization: Bearer <access>` on every other call, and a refresh token.",
        request=TokenObtainSerializer,
        responses={200: TokenPairSerializer, 401: None},
    )
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class TokenRefreshView(PublicAuthView):
    throttle_scope = "refresh"
    unauthorized_reasons = (
        *REFRESH_TOKEN_REFUSALS,
        UnauthorizedReason.USER_INACTIVE,
        UnauthorizedReason.USER_NOT_FOUND,
    )

    @extend_schema(
        operation_id="auth_token_refresh",
        tags=["auth"],
        summary="Refresh your tokens",
        description="Exchanges a refresh token for a new pair. The refresh token you send stops "
        "working: keep the new one.",
        request=TokenRefreshSerializer,
        responses={200: TokenPairSerializer, 401: None},
    )
    def post(self, request):
        serializer = TokenRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class LogoutView(PublicAuthView):
    throttle_scope = "logout"
    unauthorized_reasons = REFRESH_TOKEN_REFUSALS

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        summary="Sign out",
        description="Revokes the refresh token you send. Access tokens already issued stay "
        "valid until they expire.",
        request=LogoutSerializer,
        responses={204: None, 401: None},
    )
    def post(self, request):
        LogoutSerializer(data=request.data).is_valid(raise_exception=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveUpdateAPIView):
    # The signed-in user; only `name` and `image` can change here, and the account can be
    # deleted.

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    schema = RequestBodyOnDeleteSchema()

    def get_object(self):
        return load_user(self.request)

    @extend_schema(operation_id="auth_me_retrieve", tags=["auth"], summary="Your account")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="auth_me_update",
        tags=["auth"],
        summary="Change your name or image",
        description="Only `name` and `image` can change; a change to nothing writes nothing.",
    )
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)

    @extend_schema(
        operation_id="auth_me_delete",
        tags=["auth"],
        summary="Delete your account",
        description="Deletes your account and everything in it: your tasks, and every token "
        "issued to you. Send your password as `password` in the body; a wrong or missing one "
        "is a 422 and deletes nothing. Your access token stops working at once.",
        request=AccountDeletionSerializer,
        responses={204: None},
    )
    def delete(self, request, *args, **kwargs):
        serializer = AccountDeletionSerializer(
            data=request.data, context={"user": self.get_object()}
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(
        operation_id="auth_password_change",
        tags=["auth"],
        summary="Change your password",
        description="Every refresh token issued before the change stops working; access "
        "tokens already issued stay valid until they expire.",
        request=PasswordChangeSerializer,
        responses={204: None},
    )
    def post(self, request):
        serializer = PasswordChangeSerializer(
            data=request.data, context={"user": load_user(request)}
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(status=status.HTTP_204_NO_CONTENT)
