"""QR codes drawn on the server as SVG (segno), so the page needs no QR library, no CDN and no
script beyond its own: it shows the code as a same-origin image under its strict CSP."""

from __future__ import annotations

import io

# Error correction M (15 %): a phone reads it off a screen at any angle; segno raises the level
# when the version allows it at no cost. The quiet zone is the standard four modules.
ERROR_LEVEL = "m"
QUIET_ZONE = 4
MODULE_PIXELS = 6  # each module a whole number of CSS pixels: crisp edges on a 1x screen, easy for a camera


def qr_svg(text: str, title: str) -> str:
    """An SVG, black on white, sized in whole CSS pixels per module (and scalable by its viewBox)."""
    import segno  # only the route that draws a QR code pays for the import

    buffer = io.BytesIO()
    code = segno.make_qr(text, error=ERROR_LEVEL)
    code.save(buffer, kind="svg", border=QUIET_ZONE, omitsize=True, xmldecl=False, dark="#000", light="#fff",
              title=title)
    width, height = (MODULE_PIXELS * modules for modules in code.symbol_size(border=QUIET_ZONE))
    size = f'width="{width}" height="{height}" shape-rendering="crispEdges" '
    return buffer.getvalue().decode("utf-8").replace("<svg ", f"<svg {size}", 1)
