"""The report as an A4 PDF (reportlab), its charts rendered offline to PNG by vl-convert."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from healthcheck import __version__
from healthcheck.present.report.model import (
    Block,
    Bullets,
    Chart,
    Group,
    Heading,
    PageBreak,
    Para,
    Report,
    Run,
    Table,
)

CHART_SCALE = 2

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
              "/Library/Fonts", "C:/Windows/Fonts")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _fonts() -> tuple[str, str, str]:
    """Regular, bold and italic font names: DejaVu Sans when installed (it covers most scripts),
    else the PDF standard Helvetica (Latin-1 only)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "HC-Regular" in pdfmetrics.getRegisteredFontNames():
        return "HC-Regular", "HC-Bold", "HC-Italic"
    files = {"HC-Regular": "DejaVuSans.ttf", "HC-Bold": "DejaVuSans-Bold.ttf",
             "HC-Italic": "DejaVuSans-Oblique.ttf"}
    for folder in _FONT_DIRS:
        paths = {k: Path(folder) / v for k, v in files.items()}
        if all(p.exists() for p in paths.values()):
            try:
                for k, p in paths.items():
                    pdfmetrics.registerFont(TTFont(k, str(p)))
                pdfmetrics.registerFontFamily("HC-Regular", normal="HC-Regular", bold="HC-Bold",
                                              italic="HC-Italic", boldItalic="HC-Bold")
            except Exception:  # a broken font file: fall back to the built-in font
                break
            return "HC-Regular", "HC-Bold", "HC-Italic"
    return "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"


def pdf_escape(text: object) -> str:
    """`text` as literal text for reportlab's Paragraph markup (XML-ish): no tags, no entities."""
    s = "" if text is None else str(text)
    return xml_escape(_CONTROL.sub(" ", s))


def _pdf_runs(runs: Iterable[Run]) -> str:
    out = []
    for text, style in runs:
        body = pdf_escape(text)
        out.append(f"<b>{body}</b>" if style == "b" else f"<i>{body}</i>" if style == "i" else body)
    return "".join(out)


def render_charts(report: Report, scale: float = CHART_SCALE) -> dict[str, bytes]:
    """PNG bytes of the report's charts, rendered offline."""
    from healthcheck.present.charts import to_png

    return {key: to_png(chart, scale=scale) for key, chart in report.charts.items()}


def to_pdf(report: Report, images: Mapping[str, bytes] | None = None) -> bytes:
    """The report as an A4 PDF: headings, tables, charts, page numbers."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        Image,
        KeepTogether,
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import Table as RLTable

    regular, bold, italic = _fonts()
    images = images if images is not None else render_charts(report)
    ink = colors.HexColor("#1A1A1A")
    base = ParagraphStyle("hc-body", fontName=regular, fontSize=10, leading=13.5, textColor=ink,
                          spaceAfter=5, splitLongWords=1)
    styles = {
        "body": base,
        "lead": ParagraphStyle("hc-lead", parent=base, fontSize=11, leading=15.5, spaceAfter=8),
        "small": ParagraphStyle("hc-small", parent=base, fontSize=8.5, leading=11,
                                textColor=colors.HexColor("#333333")),
        "kicker": ParagraphStyle("hc-kicker", parent=base, fontName=bold, fontSize=11,
                                 textColor=colors.HexColor("#444444"), spaceAfter=2),
        1: ParagraphStyle("hc-h1", parent=base, fontName=bold, fontSize=20, leading=25, spaceAfter=10),
        2: ParagraphStyle("hc-h2", parent=base, fontName=bold, fontSize=14, leading=18, spaceBefore=12,
                          spaceAfter=6, keepWithNext=1),
        3: ParagraphStyle("hc-h3", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=8,
                          spaceAfter=4, keepWithNext=1),
        "cell": ParagraphStyle("hc-cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0),
        "cell_r": ParagraphStyle("hc-cell-r", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0,
                                 alignment=TA_RIGHT),
        "head": ParagraphStyle("hc-head", parent=base, fontName=bold, fontSize=8.5, leading=10.5,
                               spaceAfter=0),
        "head_r": ParagraphStyle("hc-head-r", parent=base, fontName=bold, fontSize=8.5, leading=10.5,
                                 spaceAfter=0, alignment=TA_RIGHT),
        "bullet": ParagraphStyle("hc-bullet", parent=base, spaceAfter=2),
    }
    width = A4[0] - 36 * mm

    def table(block: Table) -> Any:
        total = sum(block.widths)
        col_widths = [width * w / total for w in block.widths]
        has_header = any(block.columns)
        data = []
        if has_header:
            data.append([Paragraph(pdf_escape(c), styles["head_r" if i in block.numeric else "head"])
                         for i, c in enumerate(block.columns)])
        sections = []
        for row in block.rows:
            if len(row) == 1 and len(block.columns) > 1:
                sections.append(len(data))
                data.append([Paragraph(f"<b>{pdf_escape(row[0])}</b>", styles["cell"])]
                            + [""] * (len(block.columns) - 1))
                continue
            cells = []
            for i, c in enumerate(row):
                text = pdf_escape(c)
                if i == 0 and not has_header:  # a key-value table: keys in bold
                    text = f"<b>{text}</b>"
                cells.append(Paragraph(text, styles["cell_r" if i in block.numeric else "cell"]))
            data.append(cells)
        t = RLTable(data, colWidths=col_widths, repeatRows=1 if has_header else 0, hAlign="LEFT")
        style = [("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#AAAAAA")),
                 ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]
        if has_header:
            style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E4E4E4")),
                      ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#555555"))]
        for r in sections:
            style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F2F2F2")),
                      ("TOPPADDING", (0, r), (-1, r), 4)]
        t.setStyle(TableStyle(style))
        return t

    def chart(block: Chart) -> Any:
        png = images.get(block.key)
        if png is None:
            return Paragraph(pdf_escape(f"Chart not available: {block.caption}."), styles["small"])
        w, h = ImageReader(io.BytesIO(png)).getSize()
        draw_w = min(block.width_mm * mm, width)
        draw_h = draw_w * h / w
        max_h = 200 * mm
        if draw_h > max_h:
            draw_w, draw_h = draw_w * max_h / draw_h, max_h
        img = Image(io.BytesIO(png), width=draw_w, height=draw_h)
        img.hAlign = "CENTER"
        return img

    def flow(blocks: Iterable[Block]) -> list[Any]:
        out: list[Any] = []
        for block in blocks:
            if isinstance(block, Group):
                out.append(KeepTogether(flow(block.blocks)))
            elif isinstance(block, Heading):
                out.append(Paragraph(pdf_escape(block.text), styles[min(block.level, 3)]))
            elif isinstance(block, Para):
                out.append(Paragraph(_pdf_runs(block.runs), styles.get(block.style, base)))
            elif isinstance(block, Bullets):
                items = [ListItem(Paragraph(_pdf_runs(item), styles["bullet"]), leftIndent=12)
                         for item in block.items]
                out.append(ListFlowable(items, bulletType="bullet", start="•", leftIndent=12,
                                        bulletFontName=regular, bulletFontSize=9))
                out.append(Spacer(1, 3))
            elif isinstance(block, Table):
                out.append(table(block))
                out.append(Spacer(1, 6))
            elif isinstance(block, Chart):
                out.append(chart(block))
                out.append(Spacer(1, 6))
            elif isinstance(block, PageBreak):
                out.append(RLPageBreak())
        return out

    footer_name = report.partnership if len(report.partnership) <= 70 else report.partnership[:69] + "…"
    footer_name = _CONTROL.sub(" ", footer_name)

    def page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(18 * mm, 10 * mm, f"Partnership health check · {footer_name}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=_CONTROL.sub(" ", report.title),
                            author="Partnership Health Check", subject="Partnership health check report",
                            creator=f"Partnership Health Check {__version__}", invariant=1)
    doc.build(flow(report.blocks), onFirstPage=page, onLaterPages=page)
    return buf.getvalue()
