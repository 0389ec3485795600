"""Strava's `activities.csv` in the account's language, read by meaning.

Strava writes the headers, the dates, the decimal separator of the display columns and the
activity types in the user's language (a German export: `Aktivitäts-ID,Aktivitätsdatum,...`,
`"09.12.2022, 15:24:49"`, `"9,44"`, `Radfahrt`). The columns loadwatch needs are found by name in
English, German, French, Spanish, Italian, Dutch and Portuguese; when the header is in another
language but the rows look like Strava's (a numeric id, then a date), they are found by their
position in Strava's layout, and the import says so. Columns come in pairs: the first copy in
display units, the last in SI units (metres, seconds), which is the one used.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import UTC, datetime

# The columns loadwatch reads, by their English names (the canonical keys).
ID, DATE, NAME, TYPE = "Activity ID", "Activity Date", "Activity Name", "Activity Type"
ELAPSED, DISTANCE, MOVING, GEAR = "Elapsed Time", "Distance", "Moving Time", "Activity Gear"
FILENAME, MAX_HR, AVG_HR, GAIN = (
    "Filename",
    "Max Heart Rate",
    "Average Heart Rate",
    "Elevation Gain",
)
# Strava's 1-10 rating, typed by the athlete; its column is named in English only here (the
# translations Strava uses were not found in any export seen), or found by its position.
PERCEIVED = "Perceived Exertion"
REQUIRED = (ID, DATE, TYPE, FILENAME)

_NAMES: dict[str, tuple[str, ...]] = {
    ID: ("Aktivitäts-ID", "ID de l'activité", "ID de actividad", "ID attività", "Activiteit-ID",
         "ID da atividade", "id"),
    DATE: ("Aktivitätsdatum", "Date de l'activité", "Fecha de la actividad", "Data attività",
           "Datum activiteit", "Data da atividade", "date"),
    NAME: ("Name der Aktivität", "Nom de l'activité", "Nombre de la actividad", "Nome attività",
           "Naam activiteit", "Nome da atividade", "name"),
    TYPE: ("Aktivitätsart", "Type d'activité", "Tipo de actividad", "Tipo attività",
           "Type activiteit", "Tipo de atividade", "type"),
    ELAPSED: ("Verstrichene Zeit", "Temps écoulé", "Tiempo transcurrido", "Tempo trascorso",
              "Verstreken tijd", "Tempo decorrido", "elapsed_time"),
    DISTANCE: ("Distanz", "Distancia", "Distanza", "Afstand", "Distância", "distance"),
    MOVING: ("Bewegungszeit", "Temps de déplacement", "Tiempo en movimiento",
             "Tempo in movimento", "Beweegtijd", "Tempo de movimentação", "moving_time"),
    GEAR: ("Aktivitätsausrüstung", "Équipement de l'activité", "Equipo de la actividad",
           "Attrezzatura attività", "Uitrusting voor activiteit", "Equipamento da atividade",
           "gear"),
    FILENAME: ("Dateiname", "Nom du fichier", "Nombre del archivo", "Nome file", "Bestandsnaam",
               "Nome do arquivo", "filename"),
    MAX_HR: ("Max. Herzfrequenz", "Fréquence cardiaque max.", "Frecuencia cardiaca máxima",
             "Frequenza cardiaca max", "Max. hartslag", "Frequência cardíaca máxima"),
    AVG_HR: ("Durchschnittliche Herzfrequenz", "Fréquence cardiaque moyenne",
             "Frecuencia cardiaca media", "Frequenza cardiaca media", "Gemiddelde hartslag",
             "Frequência cardíaca média"),
    GAIN: ("Höhenzunahme", "Dénivelé positif", "Desnivel positivo", "Dislivello positivo",
           "Hoogtestijging", "Ganho de elevação"),
}  # fmt: skip
HEADERS = {_n: canon for canon, names in _NAMES.items() for _n in (canon, *names)}

# Where Strava puts them (0-based; the SI copies of the repeated columns), since 2019.
POSITIONS = {ID: 0, DATE: 1, NAME: 2, TYPE: 3, GEAR: 11, FILENAME: 12, ELAPSED: 15,
             MOVING: 16, DISTANCE: 17, GAIN: 20, MAX_HR: 30, AVG_HR: 31,
             PERCEIVED: 43}  # fmt: skip

MONTHS = {
    # English, German, French, Spanish, Italian, Dutch, Portuguese; full names and abbreviations
    "jan": 1, "january": 1, "januar": 1, "janvier": 1, "janv": 1, "ene": 1, "enero": 1,
    "gen": 1, "gennaio": 1, "januari": 1, "janeiro": 1,
    "feb": 2, "february": 2, "februar": 2, "février": 2, "févr": 2, "fevr": 2, "febrero": 2,
    "febbraio": 2, "februari": 2, "fev": 2, "fevereiro": 2,
    "mar": 3, "march": 3, "mär": 3, "märz": 3, "mars": 3, "marzo": 3, "mrt": 3, "maart": 3,
    "março": 3,
    "apr": 4, "april": 4, "avr": 4, "avril": 4, "abr": 4, "abril": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "mag": 5, "maggio": 5, "mei": 5, "maio": 5,
    "jun": 6, "june": 6, "juni": 6, "juin": 6, "junio": 6, "giu": 6, "giugno": 6, "junho": 6,
    "jul": 7, "july": 7, "juli": 7, "juil": 7, "juillet": 7, "julio": 7, "lug": 7, "luglio": 7,
    "julho": 7,
    "aug": 8, "august": 8, "août": 8, "aout": 8, "ago": 8, "agosto": 8, "augustus": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "set": 9,
    "settembre": 9, "setembro": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10, "octobre": 10, "octubre": 10,
    "ott": 10, "ottobre": 10, "out": 10, "outubro": 10,
    "nov": 11, "november": 11, "novembre": 11, "noviembre": 11, "novembro": 11,
    "dec": 12, "december": 12, "dez": 12, "dezember": 12, "déc": 12, "décembre": 12, "dic": 12,
    "diciembre": 12, "dicembre": 12, "dez.": 12, "dezembro": 12,
}  # fmt: skip
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?\s*m?\.?", re.I)


def parse_date(text: str) -> datetime:
    """A Strava activity date in any of its languages, as UTC (Strava writes UTC).

    "Oct 7, 2020, 2:43:11 PM", "09.12.2022, 15:24:49", "7 oct. 2020, 14:43:11",
    "7 de out. de 2020, 14:43:11", "2020-10-07 14:43:11"."""
    raw = text.strip()
    m = _TIME.search(raw)
    if m is None:
        raise ValueError(f"no time in date {text!r}")
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    meridiem = (m.group(4) or "").lower()
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    day_part = raw[: m.start()]
    if found := re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", day_part):
        year, month, day = (int(x) for x in found.groups())
    elif found := re.search(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", day_part):
        day, month, year = (int(x) for x in found.groups())
    else:
        words = re.findall(r"[^\W\d_]+\.?", unicodedata.normalize("NFC", day_part.lower()))
        month = next((MONTHS[w.rstrip(".")] for w in words if w.rstrip(".") in MONTHS), 0)
        numbers = [int(n) for n in re.findall(r"\d+", day_part)]
        years = [n for n in numbers if n >= 1000]
        days = [n for n in numbers if 1 <= n <= 31]
        if not month or not years or not days:
            raise ValueError(f"unrecognised date {text!r}")
        year, day = years[0], days[0]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def parse_number(text: str | None) -> float | None:
    """ "9440.5", "9,44" (a decimal comma), "1,234.5" or "1.234,5" -> a float; "" -> None."""
    if text is None:
        return None
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if not t:
        return None
    if "," in t and "." in t:
        t = (
            t.replace(".", "").replace(",", ".")
            if t.rfind(",") > t.rfind(".")
            else t.replace(",", "")
        )
    elif "," in t:
        t = (
            t.replace(",", ".")
            if re.fullmatch(r"-?\d+,\d{1,2}|-?\d+,\d{4,}", t)
            else t.replace(",", "")
        )
    try:
        return float(t)
    except ValueError:
        return None


def _looks_like_strava(raw: list[list[str]]) -> bool:
    good = 0
    for row in raw[:20]:
        if len(row) <= POSITIONS[FILENAME] or not row[0].strip().isdigit():
            continue
        try:
            parse_date(row[1])
        except ValueError:
            continue
        good += 1
    return good > 0 and good >= min(len(raw), 20) // 2


def read_activities(text: str) -> tuple[list[dict[str, str]], str | None]:
    """Rows keyed by the canonical English names (and `first:` + name for the display copy of a
    repeated column), and a note when the header had to be read by position."""
    table = list(csv.reader(io.StringIO(text)))
    if not table:
        return [], None
    header, raw = table[0], [r for r in table[1:] if any(cell.strip() for cell in r)]
    canonical = [HEADERS.get(h.strip(), h.strip()) for h in header]
    note = None
    if not all(c in canonical for c in REQUIRED):
        if len(header) > POSITIONS[DISTANCE] and _looks_like_strava(raw):
            canonical = [h.strip() for h in header]
            for name, i in POSITIONS.items():
                if i < len(canonical):
                    canonical[i] = name
            note = (
                "activities.csv: header not in a language loadwatch knows "
                f"({', '.join(header[:4])}, ...): columns read by their position in Strava's layout"
            )
        else:
            missing = [c for c in REQUIRED if c not in canonical]
            raise ValueError(
                f"activities.csv: columns not understood ({', '.join(header[:6])}, ...): "
                f"no {', '.join(missing)}"
            )
    rows = []
    for values in raw:
        row: dict[str, str] = {}
        for name, value in zip(canonical, values, strict=False):
            if name not in row:
                row["first:" + name] = value
            row[name] = value
        rows.append(row)
    return rows, note


def perceived_exertion(row: dict[str, str]) -> int | None:
    """A row's perceived exertion (0-10), or None where it is empty or out of range."""
    value = parse_number(row.get(PERCEIVED))
    if value is None or not 0 <= value <= 10:
        return None
    return round(value)


SHOE_COLUMNS = ("Shoe Name", "Shoe Brand", "Shoe Model", "Shoe Default Sport Types")


def read_shoes(text: str) -> list[dict[str, str]]:
    """shoes.csv rows by the English names; other languages by position (name, brand, model,
    default sport types), the order Strava writes them in."""
    table = list(csv.reader(io.StringIO(text)))
    if not table:
        return []
    header = [h.strip() for h in table[0]]
    names = header if all(c in header for c in SHOE_COLUMNS[:3]) else list(SHOE_COLUMNS)
    return [dict(zip(names, row, strict=False)) for row in table[1:] if any(c.strip() for c in row)]
