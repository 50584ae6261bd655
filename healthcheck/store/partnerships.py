"""Partnerships and their organisations, and the admin link that opens a partnership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select

from healthcheck.core.errors import InputError, Problem
from healthcheck.core.vocabulary import MAX_RETENTION_MONTHS, MIN_THRESHOLD
from healthcheck.store import audit
from healthcheck.store.checks import check_kind, clean_contact, clean_name, clean_notice, fail, is_threshold
from healthcheck.store.db import Database, now
from healthcheck.store.models import Organisation, Partnership
from healthcheck.store.records import OrganisationInfo, PartnershipInfo, organisation_info, partnership_info
from healthcheck.store.tokens import hash_token, new_token, rotate_token, row_by_token

__all__ = ["PartnershipRepository"]


class PartnershipRepository(Database):
    """The `Store` methods for partnerships and organisations."""

    # -- partnerships --------------------------------------------------------------------------

    def create_partnership(
        self,
        name: str,
        questionnaire_id: str,
        threshold: int = MIN_THRESHOLD,
        organisations: Sequence[tuple[str, str]] = (),
        *,
        contact: str | None = None,
        by: str = "admin",
    ) -> tuple[PartnershipInfo, str]:
        """Create a partnership and its organisations; returns it with its admin token.
        `contact`: who respondents contact about their data (shown in the privacy notice)."""
        problems: list[Problem] = []
        name = clean_name(name, "name", "a name for the partnership", problems)
        cleaned_contact = clean_contact(contact, problems)
        if not isinstance(questionnaire_id, str) or not questionnaire_id.strip():
            problems.append(Problem(path="questionnaire", message="Please choose a questionnaire."))
        if not is_threshold(threshold):
            problems.append(Problem(
                path="threshold",
                message=f"The anonymity threshold must be a whole number of at least {MIN_THRESHOLD}, "
                "so no one's answers can be picked out.",
            ))
        orgs: list[tuple[str, str]] = []
        seen: set[str] = set()
        for i, entry in enumerate(organisations, start=1):
            path = f"organisation {i}"
            try:
                org_name, kind = entry
            except (TypeError, ValueError):
                problems.append(Problem(path=path, message="Give each organisation a name and a kind."))
                continue
            org_name = clean_name(org_name, path, "a name for the organisation", problems)
            check_kind(kind, path, problems)
            if org_name:
                if org_name.casefold() in seen:
                    problems.append(Problem(path=path, message=f"'{org_name}' is listed twice."))
                seen.add(org_name.casefold())
            orgs.append((org_name, kind))
        if problems:
            raise InputError(problems)
        token = new_token()
        with self.writing() as s:
            p = Partnership(
                name=name, questionnaire_id=questionnaire_id.strip(), threshold=threshold,
                admin_token_hash=hash_token(token), created_at=now(), privacy_contact=cleaned_contact,
            )
            s.add(p)
            s.flush()
            s.add_all(Organisation(partnership_id=p.id, name=n, kind=k) for n, k in orgs)
            audit.add(s, p.id, by, "partnership.created",
                      f"Set up '{name}' with {len(orgs)} organisation(s) and anonymity threshold "
                      f"{threshold}.")
            info = partnership_info(p)
        return info, token

    def partnership_by_admin_token(self, token: str | None) -> PartnershipInfo | None:
        return row_by_token(self, select(Partnership), Partnership.admin_token_hash, token, partnership_info)

    def rotate_admin_token(self, partnership_id: int, *, by: str = "admin") -> str:
        """Issue a new admin token (the old link stops working)."""
        return rotate_token(self, Partnership.admin_token_hash, partnership_id, "partnership",
                            lambda s: audit.add(s, partnership_id, by, "admin_link.replaced",
                                                "A new admin link was made; the old one stopped working."))

    def get_partnership(self, partnership_id: int) -> PartnershipInfo | None:
        with self.reading() as s:
            p = s.get(Partnership, partnership_id)
            return partnership_info(p) if p else None

    def list_partnerships(self) -> list[PartnershipInfo]:
        with self.reading() as s:
            rows = s.scalars(select(Partnership).order_by(Partnership.name, Partnership.id))
            return [partnership_info(p) for p in rows]

    def update_partnership(
        self, partnership_id: int, *, name: str | None = None, threshold: int | None = None,
        retention_months: int | None = None, privacy_contact: str | None = None,
        privacy_notice: str | None = None, by: str = "admin",
    ) -> PartnershipInfo:
        """Change a partnership's settings; arguments left as None stay as they are (an empty
        contact or notice clears it: the notice then goes back to the default wording)."""
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = clean_name(name, "name", "a name for the partnership", problems)
        if threshold is not None:
            if not is_threshold(threshold):
                problems.append(Problem(path="threshold", message="The anonymity threshold must be a "
                                        f"whole number of at least {MIN_THRESHOLD}."))
            values["threshold"] = threshold
        if retention_months is not None:
            if (isinstance(retention_months, bool) or not isinstance(retention_months, int)
                    or not 1 <= retention_months <= MAX_RETENTION_MONTHS):
                problems.append(Problem(path="retention", message="Keep answers for a whole number of months "
                                        f"from 1 to {MAX_RETENTION_MONTHS}."))
            values["retention_months"] = retention_months
        if privacy_contact is not None:
            values["privacy_contact"] = clean_contact(privacy_contact, problems)
        if privacy_notice is not None:
            values["privacy_notice"] = clean_notice(privacy_notice, problems)
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            p = s.get(Partnership, partnership_id)
            if p is None:
                raise fail("partnership", "This partnership no longer exists.")
            changes = [_change(key, getattr(p, key), value) for key, value in values.items()
                       if getattr(p, key) != value]
            for key, value in values.items():
                setattr(p, key, value)
            if changes:
                audit.add(s, p.id, by, "settings.changed", " ".join(changes))
            s.flush()
            return partnership_info(p)

    def delete_partnership(self, partnership_id: int) -> bool:
        """Delete a partnership with everything it holds. True if there was one to delete."""
        with self.writing() as s:
            done = s.execute(delete(Partnership).where(Partnership.id == partnership_id))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    # -- organisations -------------------------------------------------------------------------

    def organisations(self, partnership_id: int) -> list[OrganisationInfo]:
        with self.reading() as s:
            rows = s.scalars(
                select(Organisation).where(Organisation.partnership_id == partnership_id)
                .order_by(Organisation.id)
            )
            return [organisation_info(o) for o in rows]

    def get_organisation(self, organisation_id: int) -> OrganisationInfo | None:
        with self.reading() as s:
            o = s.get(Organisation, organisation_id)
            return organisation_info(o) if o else None

    def add_organisation(self, partnership_id: int, name: str, kind: str, *,
                         by: str = "admin") -> OrganisationInfo:
        problems: list[Problem] = []
        name = clean_name(name, "organisation", "a name for the organisation", problems)
        check_kind(kind, "kind", problems)
        if problems:
            raise InputError(problems)
        with self.writing() as s:
            if s.get(Partnership, partnership_id) is None:
                raise fail("partnership", "This partnership no longer exists.")
            existing = s.scalars(
                select(Organisation.name).where(Organisation.partnership_id == partnership_id)
            ).all()
            if name.casefold() in {n.casefold() for n in existing}:
                raise fail("organisation", f"'{name}' is already a partner in this partnership.")
            o = Organisation(partnership_id=partnership_id, name=name, kind=kind)
            s.add(o)
            s.flush()
            audit.add(s, partnership_id, by, "organisation.added", f"Added the organisation '{name}'.")
            return organisation_info(o)


def _change(key: str, old: Any, new: Any) -> str:
    """One setting's change in words for the audit log (the notice's own text is not repeated)."""
    if key == "name":
        return f"Name changed from '{old}' to '{new}'."
    if key == "threshold":
        return f"Anonymity threshold changed from {old} to {new}."
    if key == "retention_months":
        return f"Individual answers kept for {new} months after a round closes (was {old})."
    if key == "privacy_contact":
        return f"Privacy contact changed to '{new}'." if new else "Privacy contact removed."
    if key == "privacy_notice":
        return "Privacy notice changed." if new else "Privacy notice reset to the default wording."
    return f"{key} changed."
