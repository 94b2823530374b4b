"""Code 128 barcodes as inline SVG.

python-barcode encodes the value (character sets, checksum, stop pattern); the SVG is drawn here as a
single path with presentation attributes only, so it is allowed by the page's Content-Security-Policy
(no inline styles, unlike python-barcode's own SVG writer) and stays small inside a PDF.
"""

from barcode import Code128
from django.utils.html import format_html
from django.utils.safestring import SafeString

# Blank modules either side, which scanners need to find the start of the code.
QUIET_ZONE = 10


def code128_svg(value: str, *, height: int = 40, css_class: str = "barcode") -> SafeString:
    """An <svg> of `value` as Code 128, `height` modules high (its width follows the CSS)."""
    modules = Code128(value).build()[0]
    bars: list[str] = []
    start = None
    for index, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            bars.append(f"M{start + QUIET_ZONE} 0h{index - start}v{height}h-{index - start}z")
            start = None
    width = len(modules) + 2 * QUIET_ZONE
    return format_html(
        '<svg class="{}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" preserveAspectRatio="none" '
        'role="img" aria-label="Barcode {}"><path fill="#000" shape-rendering="crispEdges" d="{}"/></svg>',
        css_class,
        width,
        height,
        value,
        "".join(bars),
    )
