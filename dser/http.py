"""Sending media files: HTTP range requests (so a video can seek), and, in a deployment with
nginx, X-Accel-Redirect (nginx sends the bytes after Django has checked who may see them)."""
import mimetypes
import os
import re
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils._os import safe_join

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 1 << 16


def serve_media(request: HttpRequest, name: str) -> HttpResponse:
    """The file `name` below MEDIA_ROOT; the caller has checked the user may see it."""
    try:
        path = safe_join(settings.MEDIA_ROOT, name)
    except ValueError:  # a path that leaves MEDIA_ROOT
        raise Http404("no such file") from None
    if not os.path.isfile(path):
        raise Http404("no such file")
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if settings.X_ACCEL_PREFIX:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.X_ACCEL_PREFIX + quote(name)
        return response
    size = os.path.getsize(path)
    match = _RANGE.match(request.headers.get("Range", ""))
    if not match or not any(match.groups()):
        response = FileResponse(open(path, "rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    start, end = (size - int(last), size - 1) if not first else (int(first), min(int(last or size - 1), size - 1))
    if start < 0 or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(_read(path, start, end - start + 1), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def _read(path: str, start: int, length: int):
    with open(path, "rb") as handle:
        handle.seek(start)
        while length > 0:
            block = handle.read(min(CHUNK, length))
            if not block:
                return
            length -= len(block)
            yield block
