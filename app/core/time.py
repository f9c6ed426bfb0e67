from datetime import UTC, datetime


def utc_instant(moment: datetime | None) -> datetime | None:
    """The moment in UTC (naive means UTC). One that UTC dates cannot hold (year 1 an hour east
    of Greenwich, year 9999 an hour west) is clamped to the first or last instant there is."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        return aware.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)
