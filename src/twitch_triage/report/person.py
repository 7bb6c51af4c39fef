"""The person's own details for the report: age, sex and current medicines, each optional and checked.

They are not answers: the model and the red flags use none of them. The report and the FHIR export show them
to the doctor as the person gave them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["Person", "SEXES", "MAX_AGE", "MAX_MEDICINES", "parse"]

SEXES = ("female", "male", "other")  # or blank: not given
MAX_AGE = 130
MAX_MEDICINES = 300  # characters: a list of a few medicines with their doses


@dataclass(frozen=True)
class Person:
    """What the person said about themselves; ``None`` or ``""`` where they left a detail blank.

    Attributes
    ----------
    age : int or None
        Whole years, 0 to :data:`MAX_AGE`.
    sex : str
        One of :data:`SEXES`, or ``""``.
    medicines : str
        Free text on one line, at most :data:`MAX_MEDICINES` characters, or ``""``.
    """

    age: int | None = None
    sex: str = ""
    medicines: str = ""

    @property
    def given(self) -> bool:
        """Whether any detail was given."""
        return self.age is not None or bool(self.sex) or bool(self.medicines)


def _age(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"age '{value}' is not a whole number: give the age in years, 0 to {MAX_AGE}, or leave it out")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"age '{value}' is not a whole number: give the age in years, 0 to {MAX_AGE}, "
                         "or leave it out") from None
    if not number.is_integer() or not 0 <= number <= MAX_AGE:
        raise ValueError(f"age '{value}' is not a whole number from 0 to {MAX_AGE}: give the age in years, "
                         "or leave it out")
    return int(number)


def _sex(value: object) -> str:
    text = "" if value is None else str(value).strip().lower()
    if text and text not in SEXES:
        raise ValueError(f"sex '{value}' is not one of {', '.join(SEXES)}: give one of them, or leave it out")
    return text


def _medicines(value: object) -> str:
    """The text on one line: control characters (line breaks, tabs, escapes) become spaces, runs of spaces one."""
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    text = " ".join(text.split())
    if len(text) > MAX_MEDICINES:
        raise ValueError(f"the medicines are {len(text)} characters long: shorten them to at most {MAX_MEDICINES}")
    return text


def parse(age: object = None, sex: object = None, medicines: object = None) -> Person:
    """The details checked and tidied.

    Parameters
    ----------
    age : whole years as a number or text (``"42"``, ``42``, ``42.0``); None or blank: not given.
    sex : ``female``, ``male`` or ``other`` (any case, spaces around ignored); None or blank: not given.
    medicines : free text; line breaks and other control characters become spaces.

    Raises
    ------
    ValueError
        One line that names the detail and how to fix it.
    """
    return Person(age=_age(age), sex=_sex(sex), medicines=_medicines(medicines))
