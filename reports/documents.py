"""The run summary as documents finance opens: an XLSX workbook (a sheet per section) and a PDF
with the tables and a bar chart of minutes per site and direction."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from reports.summary import Section


def _excel_value(value: Any) -> Any:
    """Decimals stay exact as text-free numbers where openpyxl can hold them, else strings."""
    if isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number without going through float text
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)
    return value


def write_xlsx(sections: Sequence[Section], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in sections:
        sheet = workbook.create_sheet(section.key[:31])
        sheet.append([section.title])
        sheet["A1"].font = Font(bold=True, size=13)
        if section.missing:
            sheet.append([f"Not available: {section.missing}"])
            continue
        sheet.append(list(section.columns))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([_excel_value(v) for v in row])
        for index, column in enumerate(section.columns, start=1):
            width = max([len(column), *(len(str(r[index - 1])) for r in section.rows[:200])]) + 2
            sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = min(
                width, 40
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_pdf(sections: Sequence[Section], path: Path) -> Path:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph("Callmeter run summary", styles["Title"])]
    by_key = {s.key: s for s in sections}
    minutes = by_key.get("legs_by_site_and_direction")
    if minutes and minutes.rows:
        labels = [f"{r[0]}/{r[1]} {r[2]}" for r in minutes.rows][:20]
        values = [float(r[4] or 0) for r in minutes.rows][:20]  # chart geometry only, not money
        drawing = Drawing(700, 22 * len(labels) + 40)
        chart = HorizontalBarChart()
        chart.x, chart.y, chart.width, chart.height = 180, 20, 480, 22 * len(labels)
        chart.data = [values]
        chart.categoryAxis.categoryNames = labels
        chart.bars[0].fillColor = colors.HexColor("#2f6db5")
        chart.valueAxis.valueMin = 0
        drawing.add(chart)
        story += [Paragraph("Minutes per site and direction", styles["Heading2"]), drawing]
    for section in sections:
        story += [Spacer(1, 10), Paragraph(section.title, styles["Heading2"])]
        if section.missing:
            story.append(Paragraph(f"Not available: {section.missing}", styles["Normal"]))
            continue
        if not section.rows:
            story.append(Paragraph("No rows.", styles["Normal"]))
            continue
        data = [list(section.columns)] + [
            ["" if v is None else str(v) for v in r] for r in section.rows[:40]
        ]
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f3")),
                    ("FONTSIZE", (0, 0), (-1, -1), 7),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ]
            )
        )
        story.append(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    SimpleDocTemplate(str(path), pagesize=landscape(A4), title="Callmeter run summary").build(story)
    return path
