"""The credential as a PDF (fpdf2): an A4 certificate with the learner's name, the achievement,
the issuer, the dates, a QR code and the address of the public verification page.

Like the PNG (``picture``), the PDF only shows what the signed file proves, and carries that
file inside: the VC-JWT is attached as ``credential.jwt`` (a PDF embedded file, which readers
list as an attachment), so a verifier given only the PDF can check it on ``/verify``. Reading
it back uses pypdf, with the upload's size capped and any parse failure taken as "no credential".
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lxp.credentials.picture import BOLD_FONT_FILES, FONT_FILES, NotABadge

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf2 (with Pillow, numpy and fontTools), segno and pypdf are imported inside the functions
# below: only a credential's PDF needs them, and a web worker should not carry them (bench/memory.py).

ATTACHMENT = "credential.jwt"
VC_JWT = "application/vc+jwt"
INK, MUTED, ACCENT = (28, 32, 48), (90, 96, 112), (37, 99, 235)


def _fonts(pdf: FPDF) -> tuple[str, str]:
    """A regular and a bold font with Cyrillic and accents (DejaVu or Liberation), else the
    PDF's own Helvetica (Latin-1 only: other letters become "?")."""
    regular = next((name for name in FONT_FILES if Path(name).exists()), None)
    bold = next((name for name in BOLD_FONT_FILES if Path(name).exists()), regular)
    if regular is None:
        return "helvetica", "helvetica"
    pdf.add_font("lxp", "", regular)
    pdf.add_font("lxp", "B", bold)
    return "lxp", "lxp"


def _text(pdf: FPDF, family: str, text: str) -> str:
    return text if family == "lxp" else text.encode("latin-1", "replace").decode("latin-1")


def _line(pdf: FPDF, family: str, text: str, size: float, colour, bold: bool = False, height: float = 10) -> None:
    """One centred line, shrunk until it fits the page's width (down to 9 pt)."""
    style = "B" if bold else ""
    text = _text(pdf, family, text)
    pdf.set_font(family, style, size)
    while size > 9 and pdf.get_string_width(text) > pdf.epw:
        size -= 1
        pdf.set_font(family, style, size)
    pdf.set_text_color(*colour)
    pdf.cell(w=pdf.epw, h=height, text=text, align="C", new_x="LMARGIN", new_y="NEXT")


def render_pdf(*, learner_name: str, achievement: str, issuer: str, lines: list[str], title: str, verify_url: str,
               baked: str | None = None, issued_at: datetime | None = None) -> bytes:  # fmt: skip
    """The PDF's bytes. ``lines`` are short texts under the achievement (dates, state), already
    in the viewer's language; ``title`` says what the page is; ``baked``, the VC-JWT, is attached."""
    import segno  # lazy: see above
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"{learner_name}: {achievement}")
    pdf.set_author(issuer)
    pdf.set_creator("lxp")
    if issued_at is not None:
        pdf.set_creation_date(issued_at)  # the same credential gives the same file
    pdf.set_auto_page_break(False)
    pdf.add_page()
    family, bold = _fonts(pdf)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.5)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_y(22)
    _line(pdf, family, issuer, 16, MUTED)
    _line(pdf, family, title, 14, MUTED, height=12)
    pdf.ln(4)
    _line(pdf, bold, learner_name, 32, INK, bold=True, height=16)
    pdf.ln(2)
    _line(pdf, bold, achievement, 24, ACCENT, bold=True, height=14)
    pdf.ln(4)
    for line in lines:
        _line(pdf, family, line, 13, MUTED, height=8)
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=8, border=2)
    size = 42
    pdf.image(qr, x=(pdf.w - size) / 2, y=pdf.h - size - 30, w=size, h=size, link=verify_url,
              alt_text=verify_url)  # fmt: skip
    pdf.set_y(pdf.h - 26)
    pdf.set_font(family, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(w=pdf.epw, h=6, text=_text(pdf, family, verify_url), align="C", link=verify_url)
    if baked:
        pdf.embed_file(bytes=baked.encode("ascii"), basename=ATTACHMENT, mime_type=VC_JWT,
                       modification_date=issued_at, desc="Open Badges 3.0 credential (VC-JWT)")  # fmt: skip
    return bytes(pdf.output())


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def baked_credential(data: bytes) -> str:
    """The VC-JWT attached to a PDF as ``credential.jwt``. Raises ``NotABadge`` when the bytes
    are no PDF pypdf can read or the PDF has no such attachment."""
    from pypdf import PdfReader  # lazy: see above

    try:
        found = PdfReader(io.BytesIO(data), strict=False).attachments.get(ATTACHMENT) or []
        text = found[0].decode("ascii").strip() if found else ""
    except Exception as error:  # noqa: BLE001  whatever a malformed upload makes pypdf raise, it is no credential
        raise NotABadge(str(error)) from None
    if not text:
        raise NotABadge("no credential inside")
    return text
