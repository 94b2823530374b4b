"""The 4x6 inch shipping label: templates/orders/documents/label.html rendered with WeasyPrint, with
a Code 128 barcode of the tracking number drawn as inline SVG (python-barcode)."""

import io
import re
import threading

import barcode
from barcode.writer import SVGWriter
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

# The barcode's width on the label, and the narrowest and widest bar a scanner reads reliably.
BARCODE_WIDTH_MM = 84.0
MODULE_MM = (0.25, 0.5)
QUIET_ZONE_MM = 3.0
_SVG_START = re.compile(r"<svg\b")
_SVG_WIDTH = re.compile(r'<svg[^>]*\bwidth="([\d.]+)mm"')
# One font configuration per thread, kept between labels: building it again for each label costs a
# fifth of the rendering time. Labels use no web fonts (@font-face), so nothing of one leaks into another.
_local = threading.local()


def _font_config() -> FontConfiguration:
    if not hasattr(_local, "font_config"):
        _local.font_config = FontConfiguration()
    return _local.font_config


def code128_svg(value: str, *, height_mm: float = 22.0) -> str:
    """A Code 128 barcode of `value` as an <svg> element (no XML prolog), about BARCODE_WIDTH_MM wide."""

    def draw(module_mm: float) -> str:
        out = io.BytesIO()
        options = {"module_width": module_mm, "module_height": height_mm, "quiet_zone": QUIET_ZONE_MM,
                   "write_text": False}  # fmt: skip
        barcode.get("code128", value, writer=SVGWriter()).write(out, options=options)
        svg = out.getvalue().decode()
        # Presentation attributes rather than style="fill:..." (which WeasyPrint warns about for each bar).
        svg = svg.replace('style="fill:black;"', 'fill="black"').replace('style="fill:white"', 'fill="white"')
        return svg[_SVG_START.search(svg).start() :]

    first = draw(0.33)
    modules = (float(_SVG_WIDTH.search(first).group(1)) - 2 * QUIET_ZONE_MM) / 0.33
    module_mm = min(max((BARCODE_WIDTH_MM - 2 * QUIET_ZONE_MM) / modules, MODULE_MM[0]), MODULE_MM[1])
    return first if abs(module_mm - 0.33) < 0.005 else draw(round(module_mm, 3))


def render_label(request, *, tracking_number: str, carrier_name: str, zone: str = "") -> bytes:
    """The label PDF of one parcel (`request` is a carriers.base.LabelRequest)."""
    context = {
        "label": request,
        "tracking_number": tracking_number,
        "carrier_name": carrier_name,
        "service_name": request.service.name,
        "zone": zone,
        "weight_kg": f"{request.weight_grams / 1000:.2f}",
        # Drawn by python-barcode: bars only, no text of ours inside.
        "barcode_svg": mark_safe(code128_svg(tracking_number)),
    }
    html = render_to_string("orders/documents/label.html", context)
    return HTML(string=html).write_pdf(font_config=_font_config())
