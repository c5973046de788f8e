"""One error envelope for every API error: {"error": {"code", "message", "details"}}.

(Placeholder: the foundation issue completes this module.)
"""

from django.http import JsonResponse
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    return exception_handler(exc, context)


def ratelimited_view(request, exception):
    response = JsonResponse(
        {"error": {"code": "rate_limited", "message": "Too many requests.", "details": {}}}, status=429
    )
    response["Retry-After"] = "60"
    return response
