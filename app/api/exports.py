"""Tables as CSV or XLSX downloads, for people who live in spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.core.text import decimal_comma

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | float | None


def csv_response(header: Sequence[str], rows: Sequence[Sequence[Cell]], filename: str) -> Response:
    """`;`-separated with a BOM and decimal commas: what Excel in pt-BR opens as columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([decimal_comma(c) if isinstance(c, float) else c for c in row] for row in rows)
    return Response(
        ("\ufeff" + out.getvalue()).encode(),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def xlsx_response(header: Sequence[str], rows: Sequence[Sequence[Cell]], filename: str, sheet: str) -> Response:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(list(header))
    for row in rows:
        worksheet.append([_text_cell(worksheet, cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return Response(
        out.getvalue(), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'}
    )


def _text_cell(worksheet: Any, value: Cell) -> Any:
    """Text stays text: a description starting with "=" is not a formula for Excel to run, and
    control characters a workbook cannot hold are left out."""
    if not isinstance(value, str):
        return value
    text: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith("="):
        cell = WriteOnlyCell(worksheet, value=text)
        cell.data_type = "s"
        return cell
    return text
