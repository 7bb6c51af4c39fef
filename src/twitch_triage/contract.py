"""The contract's names (docs/contract.md): answers, labels, levels, output columns, spellings and defaults."""

from __future__ import annotations

__all__ = [
    "ANSWERS", "DAYS_ANSWER", "LIFESTYLE", "LABELS", "LIKELY_AT_LEAST", "LIKELY_AT_MOST", "LEVELS", "OUTPUT_COLUMNS",
    "YES_SPELLINGS", "NO_SPELLINGS", "UNKNOWN_SPELLINGS",
    "DEFAULT_TRAIN_N", "DEFAULT_EVAL_N", "DEFAULT_SEED", "DEFAULT_EVAL_SEED",
]

# The contract's names (docs/contract.md): interfaces, not medical facts.
ANSWERS: tuple[str, ...] = (
    "loc_eyelid", "loc_face", "loc_mouth", "loc_hands", "loc_feet", "loc_calves", "loc_legs",
    "loc_widespread",
    "cramps", "spasms", "muscle_tightness", "restless_legs", "tingling", "numbness", "burning",
    "weakness", "fatigue", "muscle_aches", "poor_coordination", "bone_pain",
    "irregular_heartbeat", "nausea", "constipation", "brittle_nails",
    "at_rest", "at_night", "after_exercise", "improves_with_rest", "daily", "progressive",
    "duration_days",
    "high_caffeine", "stress", "strenuous_exercise", "heavy_sweating", "high_water_intake",
    "low_fluid_intake", "digestive_issues", "low_sun_exposure", "low_protein_diet",
    "corticosteroids",
    "breathing_difficulty", "swallowing_or_speech_difficulty", "muscle_wasting",
    # added in version 2
    "painful", "chest_pain", "fainting", "seizure", "confusion", "sudden_weakness", "tetany", "dark_urine",
    "calf_swelling",
    # added in version 3
    "weakness_worsening",
)
DAYS_ANSWER = "duration_days"
# The interview's lifestyle screen (contract, "Interview step", version 3): the life context the sources name as
# triggers of twitching, asked of everyone after where and how long.
LIFESTYLE: tuple[str, ...] = (
    "high_caffeine", "stress", "strenuous_exercise", "heavy_sweating", "low_fluid_intake", "high_water_intake",
    "corticosteroids",
)
LABELS: tuple[str, ...] = (
    "magnesium", "calcium", "potassium", "sodium", "vitamin_d", "vitamin_b12", "vitamin_b6",
    "iron", "protein", "dehydration",
)
# `likely`: the labels more likely than not (probability as written >= 0.5), most probable first, at most 3.
LIKELY_AT_LEAST = 0.5
LIKELY_AT_MOST = 3
# Most severe first.
LEVELS: tuple[str, ...] = ("emergency", "urgent", "see_doctor", "self_care")
OUTPUT_COLUMNS: tuple[str, ...] = (
    *(f"p_{label}" for label in LABELS), "p_nothing_lacking", "likely", "disposition", "red_flags", "error",
)

YES_SPELLINGS = frozenset({"1", "yes", "y", "true", "t"})
NO_SPELLINGS = frozenset({"0", "no", "n", "false", "f"})
UNKNOWN_SPELLINGS = frozenset({"", "unknown", "?", "na", "n/a"})

DEFAULT_TRAIN_N = 200_000
DEFAULT_EVAL_N = 20_000
DEFAULT_SEED = 42
DEFAULT_EVAL_SEED = 7
