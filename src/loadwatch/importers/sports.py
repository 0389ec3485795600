"""What sport a file is, from every hint it carries, in the languages platforms write.

A declared type wins (GPX `<type>`, a Strava activity type in the account's language); then the
name ("Morning Run", "Abendliche Radfahrt"); then the app that wrote it; then the speed of the
whole track. When nothing decides, the answer is `unknown`: stored, not counted, and listed as
needing a sport, because a ride counted as running load is worse than a run left out.
"""

from __future__ import annotations

import re
import unicodedata

# Declared types, normalised (lower case, accents kept, spaces and dashes as "_").
TYPES: dict[str, tuple[str, str | None]] = {
    # English (GPX, TCX, Strava, Garmin)
    "running": ("running", None),
    "run": ("running", None),
    "trail_running": ("running", "trail"),
    "trail_run": ("running", "trail"),
    "trailrun": ("running", "trail"),
    "treadmill_running": ("running", "treadmill"),
    "virtual_run": ("running", "treadmill"),
    "track_running": ("running", "track"),
    "street_running": ("running", "street"),
    "indoor_running": ("running", "indoor_running"),
    "walking": ("walking", None),
    "walk": ("walking", None),
    "hiking": ("hiking", None),
    "hike": ("hiking", None),
    "cycling": ("cycling", None),
    "road_biking": ("cycling", "road"),
    "biking": ("cycling", None),
    "bike": ("cycling", None),
    "ride": ("cycling", None),
    "virtual_ride": ("cycling", "virtual_activity"),
    "mountain_bike_ride": ("cycling", "mountain"),
    "gravel_ride": ("cycling", "gravel_cycling"),
    "e_bike_ride": ("cycling", "e_bike_fitness"),
    "swimming": ("swimming", None),
    "swim": ("swimming", None),
    "lap_swimming": ("swimming", "lap_swimming"),
    "open_water_swimming": ("swimming", "open_water"),
    "workout": ("training", None),
    "weight_training": ("training", "strength_training"),
    "yoga": ("training", "yoga"),
    "other": ("other", None),
    # German
    "lauf": ("running", None),
    "laufen": ("running", None),
    "traillauf": ("running", "trail"),
    "virtueller_lauf": ("running", "treadmill"),
    "radfahrt": ("cycling", None),
    "radfahren": ("cycling", None),
    "virtuelle_radfahrt": ("cycling", "virtual_activity"),
    "mountainbike_fahrt": ("cycling", "mountain"),
    "gravel_fahrt": ("cycling", "gravel_cycling"),
    "e_bike_fahrt": ("cycling", "e_bike_fitness"),
    "schwimmen": ("swimming", None),
    "spaziergang": ("walking", None),
    "gehen": ("walking", None),
    "wanderung": ("hiking", None),
    "wandern": ("hiking", None),
    "krafttraining": ("training", "strength_training"),
    # French
    "course_à_pied": ("running", None),
    "course": ("running", None),
    "trail": ("running", "trail"),
    "course_virtuelle": ("running", "treadmill"),
    "vélo": ("cycling", None),
    "vélo_virtuel": ("cycling", "virtual_activity"),
    "vtt": ("cycling", "mountain"),
    "vélo_électrique": ("cycling", "e_bike_fitness"),
    "natation": ("swimming", None),
    "marche": ("walking", None),
    "randonnée": ("hiking", None),
    "entraînement": ("training", None),
    "musculation": ("training", "strength_training"),
    # Spanish
    "carrera": ("running", None),
    "carrera_por_montaña": ("running", "trail"),
    "carrera_virtual": ("running", "treadmill"),
    "bicicleta": ("cycling", None),
    "ciclismo": ("cycling", None),
    "bicicleta_virtual": ("cycling", "virtual_activity"),
    "bicicleta_de_montaña": ("cycling", "mountain"),
    "natación": ("swimming", None),
    "caminata": ("walking", None),
    "senderismo": ("hiking", None),
    "excursionismo": ("hiking", None),
    "entrenamiento": ("training", None),
    # Italian
    "corsa": ("running", None),
    "corsa_su_sentiero": ("running", "trail"),
    "corsa_virtuale": ("running", "treadmill"),
    "giro_in_bici": ("cycling", None),
    "ciclismo_virtuale": ("cycling", "virtual_activity"),
    "nuoto": ("swimming", None),
    "camminata": ("walking", None),
    "escursione": ("hiking", None),
    "allenamento": ("training", None),
    # Dutch
    "hardlopen": ("running", None),
    "hardloopsessie": ("running", None),
    "traillopen": ("running", "trail"),
    "fietsrit": ("cycling", None),
    "fietsen": ("cycling", None),
    "zwemmen": ("swimming", None),
    "wandeling": ("walking", None),
    "wandelen": ("walking", None),
    "wandeltocht": ("hiking", None),
    "training": ("training", None),
    # Portuguese
    "corrida": ("running", None),
    "corrida_em_trilha": ("running", "trail"),
    "corrida_virtual": ("running", "treadmill"),
    "pedalada": ("cycling", None),
    "pedalada_virtual": ("cycling", "virtual_activity"),
    "natação": ("swimming", None),
    "caminhada": ("walking", None),
    "trilha": ("hiking", None),
    "treino": ("training", None),
}

# Strava's numeric activity types, as its GPX exports write them in <type> (its activity types in
# the order Strava numbered them). Only running counts as running load; the rest are named so the
# user sees what they were, not a sport called "17".
STRAVA_NUMBERS: dict[int, tuple[str, str | None]] = {
    1: ("cycling", None),  # Ride
    2: ("alpine_skiing", None),  # AlpineSki
    3: ("alpine_skiing", "backcountry"),  # BackcountrySki
    4: ("hiking", None),  # Hike
    5: ("ice_skating", None),  # IceSkate
    6: ("inline_skating", None),  # InlineSkate
    7: ("cross_country_skiing", None),  # NordicSki
    8: ("cross_country_skiing", "roller_skiing"),  # RollerSki
    9: ("running", None),  # Run
    10: ("walking", None),  # Walk
    11: ("training", None),  # Workout
    12: ("snowboarding", None),  # Snowboard
    13: ("snowshoeing", None),  # Snowshoe
    14: ("kitesurfing", None),  # Kitesurf
    15: ("windsurfing", None),  # Windsurf
    16: ("swimming", None),  # Swim
    17: ("cycling", "virtual_activity"),  # VirtualRide
    18: ("cycling", "e_bike_fitness"),  # EBikeRide
    19: ("cycling", "velomobile"),  # Velomobile
    20: ("paddling", "canoeing"),  # Canoeing
    21: ("kayaking", None),  # Kayaking
    22: ("rowing", None),  # Rowing
    23: ("stand_up_paddleboarding", None),  # StandUpPaddling
    24: ("surfing", None),  # Surfing
    25: ("training", "crossfit"),  # Crossfit
    26: ("fitness_equipment", "elliptical"),  # Elliptical
    27: ("rock_climbing", None),  # RockClimbing
    28: ("fitness_equipment", "stair_climbing"),  # StairStepper
    29: ("training", "strength_training"),  # WeightTraining
    30: ("training", "yoga"),  # Yoga
    31: ("cycling", "hand_cycling"),  # Handcycle
    32: ("wheelchair", None),  # Wheelchair
}


# Words in a track or activity name, in any of those languages.
NAME_WORDS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\b(swim\w*|schwimm\w*|natation|nataci[oó]n|nuoto|zwem\w*|nata[cç][aã]o)\b"),
        "swimming",
    ),
    (
        re.compile(
            r"\b(ride|bike|biking|cycling|rad\w*|v[ée]lo|vtt|bici\w*|ciclismo|fiets\w*|pedal\w*)\b"
        ),
        "cycling",
    ),
    (
        re.compile(r"\b(hike|hiking|wander\w*|randonn[ée]e|senderismo|escursion\w*|trilha)\b"),
        "hiking",
    ),
    (
        re.compile(r"\b(walk\w*|spazier\w*|marche|caminata|camminata|wandeling|caminhada)\b"),
        "walking",
    ),
    (
        re.compile(r"\b(run\w*|jog\w*|lauf\w*|course|carrera|corsa|hardlo\w*|corrida|trail)\b"),
        "running",
    ),
]

# Apps that only write one sport.
CREATORS = {"zwift": "cycling", "wahoo": "cycling", "elemnt": "cycling", "rouvy": "cycling"}

# Whole-track average moving speed a run plausibly has (about 6 to 18 km/h).
RUNNING_SPEED_MS = (6 / 3.6, 18 / 3.6)


_NUMBER = re.compile(r"[0-9]{1,6}")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFC", text.strip().lower())
    return re.sub(r"[\s\-]+", "_", text)


def declared(kind: str | None) -> tuple[str, str | None] | None:
    """A declared type in any supported language, or None when it is not one we know."""
    if not kind or not kind.strip():
        return None
    if _NUMBER.fullmatch(kind.strip()):
        return STRAVA_NUMBERS.get(int(kind.strip()))
    return TYPES.get(_key(kind))


def infer(
    kind: str | None,
    name: str | None,
    creator: str | None,
    speed_ms: float | None,
) -> tuple[str, str | None]:
    """(sport, sub_sport) from every hint, strongest first; `unknown` when none decides."""
    found = declared(kind)
    if found:
        return found
    if kind and _NUMBER.fullmatch(kind.strip()):
        # A Strava number we do not know: no sport called "57", but the number stays for the
        # user (as the sub-sport), to set the sport by hand.
        return "unknown", f"strava_type_{int(kind.strip())}"
    if kind and kind.strip():
        return _key(kind), None  # declared but not a sport we know (kayaking): kept, not counted
    lowered = unicodedata.normalize("NFC", (name or "").lower())
    for pattern, sport in NAME_WORDS:
        if pattern.search(lowered):
            return sport, None
    app = (creator or "").lower()
    for needle, sport in CREATORS.items():
        if needle in app:
            return sport, None
    if speed_ms is not None and RUNNING_SPEED_MS[0] <= speed_ms <= RUNNING_SPEED_MS[1]:
        return "running", None
    return "unknown", None
