"""Auth endpoints: register, obtain, refresh, logout, the current user, password change."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import load_user
from accounts.serializers import (
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
from taskapi.throttling import ClientIPRateThrottle


class PublicAuthView(APIView):
    """Base for endpoints a client calls before it holds an access token; rate-limited per
    client address and endpoint (`throttle_scope`)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientIPRateThrottle]


class RegisterView(PublicAuthView):
    throttle_scope = "register"

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
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

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        request=TokenObtainSerializer,
        responses={200: TokenPairSerializer, 401: None},
    )
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class TokenRefreshView(PublicAuthView):
    throttle_scope = "refresh"

    @extend_schema(
        operation_id="auth_token_refresh",
        tags=["auth"],
        request=TokenRefreshSerializer,
        responses={200: TokenPairSerializer, 401: None},
    )
    def post(self, request):
        serializer = TokenRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class LogoutView(PublicAuthView):
    throttle_scope = "logout"

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=LogoutSerializer,
        responses={204: None, 401: None},
    )
    def post(self, request):
        LogoutSerializer(data=request.data).is_valid(raise_exception=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user; only `name` and `image` can change here."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return load_user(self.request)

    @extend_schema(operation_id="auth_me_retrieve", tags=["auth"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="auth_me_update", tags=["auth"])
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)


class PasswordChangeView(APIView):
    @extend_schema(
        operation_id="auth_password_change",
        tags=["auth"],
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
