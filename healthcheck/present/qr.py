"""A workshop's join link and its QR code, for the projector and for printing."""

from __future__ import annotations

import io

__all__ = ["join_url", "qr_png", "qr_svg"]


def join_url(base_url: str, code: str) -> str:
    """The link a phone opens to join the workshop with this code."""
    return f"{base_url.rstrip('/')}/?join={code}"


def qr_svg(url: str, scale: int = 8) -> str:
    """The QR code of `url` as an inline SVG document (dark on white, quiet zone included)."""
    import segno  # imported when a code is drawn: most pages never need it

    return str(segno.make(url, error="m").svg_inline(scale=scale, dark="#000000", light="#ffffff"))


def qr_png(url: str, scale: int = 10) -> bytes:
    """The QR code of `url` as PNG bytes (for download)."""
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, dark="#000000", light="#ffffff")
    return buf.getvalue()
