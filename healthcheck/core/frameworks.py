"""The three practice frameworks and the partnership levels, with the ids used everywhere.

Ids come from DOMAIN.md and are a contract: questionnaires, rules, JSON output and the store
all refer to dimensions by these ids.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    id: str
    framework: str  # "factors" | "prerequisites" | "tasks"
    number: int  # position inside its framework, from 1
    label: str
    description: str


FRAMEWORKS: dict[str, str] = {
    "factors": "Conditions for collaborative innovation",
    "prerequisites": "Prerequisites for a partnership",
    "tasks": "Tasks in partnership working",
}

_F, _P, _T = "factors", "prerequisites", "tasks"

DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("factor.debate", _F, 1, "Honest debate",
              "Partners look for, and value, frank and self-critical discussion."),
    Dimension("factor.risk_taking", _F, 2, "Taking risks",
              "The partnership is prepared to try things that might not work."),
    Dimension("factor.change", _F, 3, "Willingness to change",
              "Partners are ready to change how they work, not only ask others to."),
    Dimension("factor.initial_ignorance", _F, 4, "Accepting not knowing",
              "Partners accept that a new kind of work cannot fix its results in advance."),
    Dimension("prereq.clear_problem", _P, 1, "A clear problem",
              "There is a named problem that needs partners; working together is not the aim."),
    Dimension("prereq.no_single_solution", _P, 2, "No one can do it alone",
              "No single organisation could solve the problem by itself."),
    Dimension("prereq.equal_commitment", _P, 3, "Equal commitment",
              "Contributions differ, but every partner is as committed as the others."),
    Dimension("prereq.clear_roles", _P, 4, "Clear roles",
              "Each partner knows its part: nobody watches from the side or competes for position."),
    Dimension("prereq.young_people_first", _P, 5, "Young people first",
              "Children's needs, not any partner's existing offer, shape the work."),
    Dimension("task.taking_stock", _T, 1, "Taking stock",
              "Knowing why you want the partnership and what state you are in before you start."),
    Dimension("task.doing_research", _T, 2, "Doing your research",
              "Understanding the care system, the local picture and the evidence."),
    Dimension("task.creating_interest", _T, 3, "Creating interest",
              "Getting the idea noticed by busy managers on shared aims."),
    Dimension("task.developing_understanding", _T, 4, "Developing understanding",
              "Learning each other's interests and building a relationship that lasts."),
    Dimension("task.attending_structures", _T, 5, "Attending to structures",
              "The right people, with enough authority, meeting regularly."),
    Dimension("task.attending_systems", _T, 6, "Attending to systems",
              "Meetings that are planned, useful and end in agreed actions."),
    Dimension("task.investing_resources", _T, 7, "Investing resources",
              "Every partner puts something in: time, money, rooms, influence, energy."),
    Dimension("task.integrity_trust", _T, 8, "Integrity and trust",
              "Openness, reliability and follow-through between partners."),
    Dimension("task.thinking_integration", _T, 9, "Thinking integration",
              "Fitting the work into partners' systems and doing things jointly."),
    Dimension("task.staffing_change", _T, 10, "Staffing change",
              "The work can carry on when key people move on."),
    Dimension("task.communicating", _T, 11, "Communicating",
              "Everyone hears what they need, in time, and nobody is left out."),
    Dimension("task.improvement_learning", _T, 12, "Improvement and learning",
              "Learning as you go, not only in a final evaluation."),
    Dimension("task.exercising_leadership", _T, 13, "Exercising leadership",
              "Someone makes sure what needs doing gets done; roles are agreed."),
)

DIMENSION_BY_ID: dict[str, Dimension] = {d.id: d for d in DIMENSIONS}
DIMENSION_IDS: tuple[str, ...] = tuple(DIMENSION_BY_ID)

LEVELS: dict[str, str] = {
    "funder": "Funder",
    "strategic": "Strategic",
    "operational": "Operational",
}


def dimensions_of(framework: str) -> tuple[Dimension, ...]:
    return tuple(d for d in DIMENSIONS if d.framework == framework)
