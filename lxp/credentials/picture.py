"""The credential as a picture (PNG, Pillow): the learner's name, the achievement, the issuer,
the dates, and a QR code of the public verification page.

The picture is a convenience for printing and posting; only the signed file proves anything,
and the QR code leads to the page that checks it. The signed file travels inside the picture
too, "baked" as Open Badges 3.0 (section 5.3) says: an ``iTXt`` chunk with the keyword
``openbadgecredential`` holding the VC-JWT, so a verifier given only the PNG can check it. Text needs a font with Cyrillic and
accents: DejaVu Sans (Debian's ``fonts-dejavu-core``) or Liberation Sans, else Pillow's own.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageDraw

# Pillow and segno are imported inside the functions below: only a credential's picture needs
# them, so a web worker that draws none does not hold them.
BAKED_KEYWORD = "openbadgecredential"
MAX_PIXELS = 20_000_000  # larger uploads are not credentials of ours; Pillow would warn of a bomb

WIDTH, HEIGHT = 1200, 850
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
BOLD_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
INK, MUTED, ACCENT = (28, 32, 48), (90, 96, 112), (37, 99, 235)


def _font(size: int, bold: bool = False):
    from PIL import ImageFont  # lazy: see above

    for name in BOLD_FONT_FILES if bold else FONT_FILES:
        if Path(name).exists():
            return ImageFont.truetype(name, size)
    return ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, bold: bool = False):
    """The largest font up to ``size`` in which ``text`` fits ``width`` (down to 18 px)."""
    while size > 18:
        font = _font(size, bold)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 2
    return _font(18, bold)


def _centred(draw, y: int, text: str, font, fill) -> None:
    draw.text((WIDTH // 2, y), text, font=font, fill=fill, anchor="ma")


def render_png(*, learner_name: str, achievement: str, issuer: str, lines: list[str], title: str,
               verify_url: str, baked: str | None = None) -> bytes:  # fmt: skip
    """The PNG's bytes. ``lines`` are short texts under the achievement (dates, state), already
    in the viewer's language; ``title`` heads the picture; ``baked``, the VC-JWT, goes inside."""
    import segno  # lazy: see above
    from PIL import Image, ImageDraw, PngImagePlugin

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, WIDTH - 20, HEIGHT - 20), outline=ACCENT, width=6)
    _centred(draw, 70, issuer, _fit(draw, issuer, 30, WIDTH - 160), MUTED)
    _centred(draw, 130, title, _font(28), MUTED)
    _centred(draw, 200, learner_name, _fit(draw, learner_name, 64, WIDTH - 160, bold=True), INK)
    _centred(draw, 310, achievement, _fit(draw, achievement, 44, WIDTH - 160, bold=True), ACCENT)
    y = 400
    for line in lines:
        _centred(draw, y, line, _fit(draw, line, 26, WIDTH - 160), MUTED)
        y += 40
    qr = segno.make(verify_url, error="m")
    scale = 5
    matrix = list(qr.matrix)
    size = len(matrix) * scale
    left, top = (WIDTH - size) // 2, HEIGHT - size - 70
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                x, y0 = left + column * scale, top + row * scale
                draw.rectangle((x, y0, x + scale - 1, y0 + scale - 1), fill="black")
    _centred(draw, HEIGHT - 60, verify_url, _fit(draw, verify_url, 20, WIDTH - 160), MUTED)
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if baked:
        info.add_itxt(BAKED_KEYWORD, baked)
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


class NotABadge(ValueError):
    """The bytes are no PNG, or a PNG without a baked credential."""


def baked_credential(data: bytes) -> str:
    """The VC-JWT baked into a PNG (the ``openbadgecredential`` text chunk). Raises
    ``NotABadge`` when the bytes are not a PNG or the PNG carries no credential."""
    from PIL import Image, UnidentifiedImageError  # lazy: see above

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width * image.height > MAX_PIXELS:
                raise NotABadge("not a PNG")
            image.load()  # text chunks after the image data are read with it
            text = image.text.get(BAKED_KEYWORD) if hasattr(image, "text") else None
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise NotABadge(str(error)) from None
    if not text or not str(text).strip():
        raise NotABadge("no credential inside")
    return str(text).strip()
