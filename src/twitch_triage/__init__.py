"""twitch-triage: which nutrient may be behind persistent muscle twitching, and when to see a doctor."""

__version__ = "0.1.0"
