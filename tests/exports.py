"""Build small but faithful account exports around real corpus files, for the export tests."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from .conftest import CORPUS

# Strava's activities.csv repeats names: the first copy in display units, the last in SI units.
STRAVA_HEADER = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Activity Description",
    "Elapsed Time",
    "Distance",
    "Max Heart Rate",
    "Relative Effort",
    "Commute",
    "Activity Private Note",
    "Activity Gear",
    "Filename",
    "Athlete Weight",
    "Bike Weight",
    "Elapsed Time",
    "Moving Time",
    "Distance",
    "Max Speed",
    "Average Speed",
    "Elevation Gain",
    "Max Heart Rate",
    "Average Heart Rate",
]


# Strava writes activities.csv in the account's language. German: the real header (from an export
# quoted in geo-activity-playground's issues #191/#348) and its date and decimal-comma format.
# French: the four headers quoted in public code (ID/Date/Nom de l'activité, Nom du fichier), the
# rest in Strava's French wording as best known; the importer reads by meaning and by position.
LOCALES = {
    "de": {
        "header": [
            "Aktivitäts-ID", "Aktivitätsdatum", "Name der Aktivität", "Aktivitätsart",
            "Aktivitätsbeschreibung", "Verstrichene Zeit", "Distanz", "Max. Herzfrequenz",
            "Relative Leistung", "Pendeln", "Hinweis zur Privatsphäre für Aktivitäten",
            "Aktivitätsausrüstung", "Dateiname", "Sportlergewicht", "Fahrradgewicht",
            "Verstrichene Zeit", "Bewegungszeit", "Distanz", "Höchstgeschw.",
            "Durchschnittliche Geschwindigkeit", "Höhenzunahme", "Höhenunterschied", "Min. Höhe",
        ],
        "date": lambda dt: dt.strftime("%d.%m.%Y, %H:%M:%S"),
        "types": {"Run": "Lauf", "Trail Run": "Traillauf", "Ride": "Radfahrt", "Swim": "Schwimmen"},
        "shoes": ["Schuhname", "Schuhmarke", "Schuhmodell", "Standardsportarten"],
        "comma": True,
    },
    "fr": {
        "header": [
            "ID de l'activité", "Date de l'activité", "Nom de l'activité", "Type d'activité",
            "Description de l'activité", "Temps écoulé", "Distance", "Fréquence cardiaque max.",
            "Effort relatif", "Trajet", "Note privée", "Équipement de l'activité",
            "Nom du fichier", "Poids de l'athlète", "Poids du vélo", "Temps écoulé",
            "Temps de déplacement", "Distance", "Vitesse max.", "Vitesse moyenne",
            "Dénivelé positif", "Dénivelé négatif", "Altitude min.",
        ],
        "date": lambda dt: (
            f"{dt.day} {FRENCH_MONTHS[dt.month - 1]} {dt.year}, {dt.strftime('%H:%M:%S')}"
        ),
        "types": {"Run": "Course à pied", "Trail Run": "Trail", "Ride": "Vélo", "Swim": "Natation"},
        "shoes": ["Nom de la chaussure", "Marque", "Modèle", "Sports par défaut"],
        "comma": True,
    },
}  # fmt: skip
FRENCH_MONTHS = "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()


def strava_date(dt: datetime, lang: str = "en") -> str:
    dt = dt.astimezone(UTC)
    if lang != "en":
        return LOCALES[lang]["date"](dt)
    return dt.strftime("%b %-d, %Y, %-I:%M:%S %p")


def strava_row(
    ident: int,
    start: datetime,
    kind: str,
    distance_m: float,
    seconds: float,
    gear: str = "",
    filename: str = "",
    miles: bool = False,
    lang: str = "en",
) -> list[str]:
    display = distance_m / 1609.344 if miles else distance_m / 1000
    shown = f"{display:.2f}"
    if lang != "en":
        kind = LOCALES[lang]["types"].get(kind, kind)
        shown = shown.replace(".", ",")  # the display copies use the language's decimal comma
    return [
        str(ident),
        strava_date(start, lang),
        f"{kind} {ident}",
        kind,
        "",
        str(int(seconds)),
        shown,
        "",
        "",
        "false",
        "",
        gear,
        filename,
        "",
        "",
        f"{seconds:.1f}",
        f"{seconds:.1f}",
        f"{distance_m:.1f}",
        "",
        "",
        "",
        "",
        "",
    ]


def _csv(rows: list[list[str]]) -> str:
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


# (member name, corpus file, gzip?, CSV rows: (type, start, distance m, seconds, gear))
STRAVA_FILES = [
    (
        "activities/101.fit.gz",
        "fit/togeojson-run.fit",
        True,
        [("Run", "2022-02-26 07:43:50+00:00", 8605.3, 2418.851, "Nike Pegasus 40")],
    ),
    (
        "activities/102.fit",
        "fit/workoutizer-run_with_coordinates.fit",
        False,
        [("Trail Run", "2020-12-10 06:27:05+00:00", 6001.89, 1953.485, "Hoka Speedgoat 5 Trail")],
    ),
    (
        "activities/103.gpx.gz",
        "gpx/togeojson-run_gpxtpx.gpx",
        True,
        [("Run", "2015-01-19 21:24:20+00:00", 3545.8, 1062.0, "")],
    ),
    (
        "activities/104.tcx.gz",
        "tcx/togeojson-sample.tcx",
        True,
        [("Run", "2007-08-07 02:42:41+00:00", 8348.5, 2325.02, "")],
    ),
    (
        "activities/105.fit.gz",
        "fit/garmin-edge-500-activity.fit",
        True,
        [("Ride", "2011-09-25 13:00:21+00:00", 92622.34, 10641.06, "Canyon Endurace")],
    ),
    # One multisport FIT, listed once per activity it holds.
    (
        "activities/106.fit.gz",
        "fit/fitparserjs-triathlon_summary_last.fit",
        True,
        [
            ("Swim", "2023-09-02 13:15:24+00:00", 513.26, 675.701, ""),
            ("Ride", "2023-09-02 13:29:18+00:00", 13517.59, 1566.657, "Canyon Endurace"),
            ("Run", "2023-09-02 13:56:34+00:00", 4491.51, 1573.613, "Nike Pegasus 40"),
        ],
    ),
]
MANUAL_RUN = ("Run", "2024-03-03 08:00:00+00:00", 5000.0, 1650.0, "Nike Pegasus 40")
PEGASUS_KM = (8605.3 + 4491.51 + 5000.0) / 1000
SPEEDGOAT_KM = 6001.89 / 1000


def strava_export(
    path: Path, extra_members: dict[str, bytes] | None = None, lang: str = "en"
) -> Path:
    rows = [STRAVA_HEADER if lang == "en" else LOCALES[lang]["header"]]
    ident = 1000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, source, gz, listed in STRAVA_FILES:
            data = (CORPUS / source).read_bytes()
            # Strava stores gzipped members uncompressed inside the zip, plain ones deflated.
            zf.writestr(
                member,
                gzip.compress(data) if gz else data,
                compress_type=zipfile.ZIP_STORED if gz else zipfile.ZIP_DEFLATED,
            )
            for kind, start, dist, secs, gear in listed:
                ident += 1
                rows.append(
                    strava_row(ident, _dt(start), kind, dist, secs, gear, member, lang=lang)
                )
        kind, start, dist, secs, gear = MANUAL_RUN
        rows.append(strava_row(9999, _dt(start), kind, dist, secs, gear, miles=True, lang=lang))
        zf.writestr("activities.csv", _csv(rows))
        zf.writestr(
            "shoes.csv",
            _csv(
                [
                    ["Shoe Name", "Shoe Brand", "Shoe Model", "Shoe Default Sport Types"]
                    if lang == "en"
                    else LOCALES[lang]["shoes"],
                    ["", "Nike", "Pegasus 40", _type("Run", lang)],
                    ["Trail", "Hoka", "Speedgoat 5", _type("Trail Run", lang)],
                ]
            ),
        )
        zf.writestr("profile.csv", "Athlete ID,Email Address\n1,ana@example.com\n")
        for name, data in (extra_members or {}).items():
            zf.writestr(name, data)
    return path


def _type(kind: str, lang: str) -> str:
    return kind if lang == "en" else LOCALES[lang]["types"][kind]


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


GARMIN_SUMMARIES = [
    # matched by start time to the FIT file in the uploaded-files zip: the FIT's totals win
    {
        "activityId": 1,
        "activityType": "running",
        "startTimeGmt": _ms("2022-02-26 07:43:50+00:00"),
        "distance": 860530.0,
        "duration": 3258424.0,
        "movingDuration": 2418851.0,
        "elapsedDuration": 3258424.0,
    },
    # no FIT in the export: imported from the summary (cm, ms)
    {
        "activityId": 2,
        "activityType": "trail_running",
        "startTimeGmt": _ms("2024-05-01 06:00:00+00:00"),
        "distance": 1000000.0,
        "duration": 3600000.0,
        "movingDuration": 3500000.0,
        "elapsedDuration": 3700000.0,
        "avgHr": 150,
        "maxHr": 171,
        "elevationGain": 25000.0,
    },
    {
        "activityId": 3,
        "activityType": "multi_sport",
        "startTimeGmt": _ms("2024-05-02 06:00:00+00:00"),
        "distance": 4000000.0,
        "duration": 7200000.0,
        "parent": True,
    },
    {
        "activityId": 4,
        "activityType": "road_biking",
        "startTimeGmt": _ms("2024-05-02 06:00:00+00:00"),
        "distance": 3000000.0,
        "duration": 3600000.0,
    },
]


def garmin_export(path: Path) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as uz:
        uz.writestr("123456789.fit", (CORPUS / "fit/togeojson-run.fit").read_bytes())
        uz.writestr("123456790.fit", (CORPUS / "other/MonitoringFile.fit").read_bytes())  # wellness
        uz.writestr(
            "123456791.fit", (CORPUS / "fit/workoutizer-2019-09-14-17-22-05.fit").read_bytes()
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "DI_CONNECT/DI-Connect-Fitness/ana@example.com_0_summarizedActivities.json",
            json.dumps([{"summarizedActivitiesExport": GARMIN_SUMMARIES}]),
        )
        zf.writestr(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", inner.getvalue()
        )
        zf.writestr("DI_CONNECT/DI-Connect-Wellness/ana_sleepData.json", "[]")
    return path
