"""The fixed vocabularies of the health check (each decided once) and the smallest anonymity threshold.

Kinds of organisation and round, action statuses and the partner team questions are checked in
Python (not by database CHECKs), so adding a value needs no migration. `MIN_THRESHOLD` is the one
place that says how small a group may be shown: scoring suppresses smaller groups and the store
refuses a partnership threshold below it.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ACTION_STATUSES",
    "AUDIT_ACTORS",
    "DEFAULT_RETENTION_MONTHS",
    "MAX_RETENTION_MONTHS",
    "MIN_THRESHOLD",
    "OPEN_ACTION_STATUSES",
    "ORGANISATION_KINDS",
    "ROUND_KINDS",
    "SEVERITIES",
    "SEVERITY_LABEL",
    "SEVERITY_RANK",
    "TEAM_QUESTIONS",
    "Severity",
]

# Fewer respondents than this and a group's answers could be picked out.
MIN_THRESHOLD = 3

# How long a partnership keeps individual answers after a round closes, unless it chooses otherwise
# (then only the round's aggregate results are kept: services.retention). At most ten years.
DEFAULT_RETENTION_MONTHS = 24
MAX_RETENTION_MONTHS = 120

ORGANISATION_KINDS: dict[str, str] = {
    "music": "Music organisation",
    "childrens_services": "Children's services (local authority)",
    "fostering": "Fostering service",
    "virtual_school": "Virtual School",
    "residential_care": "Residential care",
    "funder": "Funder",
    "other": "Other",
}

ROUND_KINDS: dict[str, str] = {"survey": "Survey", "workshop": "Live workshop"}

ACTION_STATUSES: dict[str, str] = {
    "open": "Open",
    "in_progress": "In progress",
    "done": "Done",
    "dropped": "Dropped",
}
# The statuses of actions still to be done (the "open only" filter).
OPEN_ACTION_STATUSES: tuple[str, ...] = ("open", "in_progress")

# The five questions to ask a new partner team (DOMAIN.md, "Understanding a partner team").
TEAM_QUESTIONS: dict[str, str] = {
    "team.challenges": "What challenges is your team facing at the moment?",
    "team.barriers": "What challenges and barriers do the children and young people you work with face?",
    "team.past_projects": "Which music or arts projects have you run before? What worked, and what would "
    "you change?",
    "team.outcomes": "Which outcomes matter to you, and how do you have to show them?",
    "team.engagement": "When and where do you meet children, young people and their families?",
}

# Who did something the audit log records: the kind of link (or the program itself), never who
# held it and never the link's token.
AUDIT_ACTORS: dict[str, str] = {
    "admin": "Partnership admin link",
    "funder": "Funder link",
    "facilitator": "Workshop facilitator link",
    "command_line": "Command line (someone running the server)",
    "system": "The app itself",
}

# How serious a finding is, most severe first: findings sort by this.
Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
SEVERITY_LABEL = {"high": "High", "medium": "Medium", "low": "Low", "info": "For information"}
