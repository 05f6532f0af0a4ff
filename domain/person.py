"""A person as Værn knows them: their Teams user id, name and Entra ID object id. One person is the same person by
object id when both sides have one, else by Teams id."""

from __future__ import annotations

from pydantic import BaseModel


class Person(BaseModel):
    """A Teams user as the bot knows them (Azure AD object id when Teams gives it)."""

    user_id: str
    name: str = ""
    aad_object_id: str | None = None

    def is_(self, other: Person | None) -> bool:
        """Same person: by Azure AD object id when both have one, else by Teams user id."""
        if other is None:
            return False
        if self.aad_object_id and other.aad_object_id:
            return self.aad_object_id == other.aad_object_id
        return self.user_id == other.user_id
