"""Organisation units and people (accounts)."""

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr, field_validator
from sqlalchemy import DateTime, String
from sqlmodel import Field, SQLModel

from models.base import utcnow
from models.text import StorableText


class Role(StrEnum):
    admin = "admin"
    secretariat = "secretariat"
    delegate = "delegate"


class OrgUnitBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=40)


class OrgUnit(OrgUnitBase, table=True):
    __tablename__ = "org_unit"
    id: int | None = Field(default=None, primary_key=True)


class OrgUnitCreate(OrgUnitBase, StorableText):
    pass


class OrgUnitPublic(OrgUnitBase):
    id: int


class PersonBase(SQLModel):
    full_name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    unit_id: int | None = Field(default=None, foreign_key="org_unit.id", ondelete="SET NULL")
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    role: Role = Field(default=Role.delegate, sa_type=String(16))
    active: bool = True


class Person(PersonBase, table=True):
    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    # The language the person chose for the pages ("vi", "en"); None: the site's default.
    language: str | None = Field(default=None, max_length=8)


_USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class PersonCreate(PersonBase, StorableText):
    # SQLModel's Field passes `regex` to pydantic 2, which ignores it; `pattern` is enforced.
    username: str = Field(max_length=64, schema_extra={"pattern": _USERNAME_PATTERN})
    email: EmailStr | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)

    # Before validation, so that a name of only spaces fails min_length (422), not the service.
    @field_validator("full_name", "title", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class PersonUpdate(StorableText):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    unit_id: int | None = None
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class PasswordReset(StorableText):
    """A new password set by the secretariat: the one given, else one generated (shown once)."""

    password: str | None = Field(default=None, min_length=8, max_length=200)


class PersonPublic(PersonBase):
    id: int
    username: str
