"""QR codes drawn on the server as SVG (segno), so the page needs no QR library, no CDN and no
script beyond its own: it shows the code as a same-origin image under its strict CSP."""

from __future__ import annotations

import io

# Error correction M (15 %): a phone reads it off a screen at any angle; segno raises the level
# when the version allows it at no cost. The quiet zone is the standard four modules.
ERROR_LEVEL = "m"
QUIET_ZONE = 4


def qr_svg(text: str, title: str) -> str:
    """An SVG with a viewBox and no fixed size (the page sizes it), black on white."""
    import segno  # only the route that draws a QR code pays for the import

    buffer = io.BytesIO()
    segno.make_qr(text, error=ERROR_LEVEL).save(buffer, kind="svg", border=QUIET_ZONE, omitsize=True,
                                               xmldecl=False, dark="#000", light="#fff", title=title)
    return buffer.getvalue().decode("utf-8").replace("<svg ", '<svg shape-rendering="crispEdges" ', 1)
