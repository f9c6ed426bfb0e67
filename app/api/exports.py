"""Tables as CSV or XLSX downloads, for people who live in spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fastapi.responses import Response
from openpyxl import Workbook

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | float | None


def csv_response(header: Sequence[str], rows: Sequence[Sequence[Cell]], filename: str) -> Response:
    """`;`-separated with a BOM and decimal commas: what Excel in pt-BR opens as columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([str(c).replace(".", ",") if isinstance(c, float) else c for c in row] for row in rows)
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
        worksheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return Response(
        out.getvalue(), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'}
    )
