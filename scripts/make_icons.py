"""Draw the app icons once (they are committed): the favicon's mark, an "l" and an "x" in
white on lxp's blue, as PNGs at the sizes browsers and iOS ask for.

    python scripts/make_icons.py        # needs Pillow (pip install pillow); not a dependency of lxp

- ``icon-192.png``, ``icon-512.png``: "any" purpose, rounded corners like the favicon;
- ``maskable-192.png``, ``maskable-512.png``: full-bleed, the mark inside the safe circle
  (80 % of the width), so a launcher may cut any shape;
- ``apple-touch-icon.png`` (180 px): square and opaque, iOS rounds it itself.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (0x2B, 0x59, 0xC3, 255)
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
SCALE = 4  # drawn large, then reduced: smooth edges without an anti-aliasing pass


def _mark(draw: ImageDraw.ImageDraw, size: int, inset: float) -> None:
    """The favicon's strokes (a 32-unit grid) scaled into the square minus ``inset`` per side."""
    unit = size * (1 - 2 * inset) / 32
    offset = size * inset

    def point(x: float, y: float) -> tuple[float, float]:
        return offset + x * unit, offset + y * unit

    width = round(3 * unit)
    for line in ([(9, 8), (9, 24), (15, 24)], [(18, 12), (24, 20)], [(24, 12), (18, 20)]):
        points = [point(x, y) for x, y in line]
        draw.line(points, fill=WHITE, width=width, joint="curve")
        for x, y in points:  # round caps
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=WHITE)


def icon(size: int, *, rounded: bool, inset: float) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=round(big * 7 / 32), fill=BLUE)
    else:
        draw.rectangle([0, 0, big, big], fill=BLUE)
    _mark(draw, big, inset)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, rounded=True, inset=0).save(OUT / f"icon-{size}.png", optimize=True)
        icon(size, rounded=False, inset=0.16).save(OUT / f"maskable-{size}.png", optimize=True)
    icon(180, rounded=False, inset=0.08).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
