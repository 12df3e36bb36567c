"""People through the API: create, validation, search and pages, CSV import."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from models import OrgUnit, Person
from tests.factories import assert_error


def create(client: TestClient, **fields: Any) -> Response:
    body = {"username": "lan.nguyen", "full_name": "Nguyễn Thị Lan", **fields}
    return client.post("/api/people", json=body)


def import_csv(client: TestClient, content: bytes) -> Response:
    return client.post("/api/people/import", files={"file": ("people.csv", content, "text/csv")})


def count_people(session: Session) -> int:
    return len(session.exec(select(Person.id)).all())


def test_create_person(clerk_client: TestClient) -> None:
    response = create(
        clerk_client, email="lan@hanoi.gov.vn", role="delegate", password="mat-khau-123"
    )
    assert response.status_code == 201, response.text
    person = response.json()
    assert person["username"] == "lan.nguyen"
    assert person["active"] is True
    assert "password" not in person
    assert "password_hash" not in person
    assert clerk_client.get(f"/api/people/{person['id']}").json() == person


def test_created_person_can_log_in_with_their_password(clerk_client: TestClient) -> None:
    create(clerk_client, password="mat-khau-123")
    clerk_client.cookies.clear()
    response = clerk_client.post(
        "/api/login", json={"username": "lan.nguyen", "password": "mat-khau-123"}
    )
    assert response.status_code == 200


def test_person_without_password_cannot_log_in(clerk_client: TestClient) -> None:
    create(clerk_client)
    clerk_client.cookies.clear()
    response = clerk_client.post(
        "/api/login", json={"username": "lan.nguyen", "password": "anything1"}
    )
    assert_error(response, 401)


def test_duplicate_username_is_409_naming_the_field(
    clerk_client: TestClient, session: Session
) -> None:
    assert create(clerk_client).status_code == 201
    body = assert_error(
        create(clerk_client, full_name="Người Khác"),
        409,
        "DuplicateUsernameError",
        field="username",
    )
    assert "lan.nguyen" in body["detail"]
    assert count_people(session) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"username": "Bad Name!"}, "username"),
        ({"username": "x"}, "username"),
        ({"username": "ab/../cd"}, "username"),
        ({"role": "emperor"}, "role"),
        ({"password": "short"}, "password"),
        ({"unit_id": 9999}, "unit_id"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(
    clerk_client: TestClient, session: Session, fields: dict[str, Any], field: str
) -> None:
    before = count_people(session)
    assert_error(create(clerk_client, **fields), 422, field=field)
    assert count_people(session) == before


def test_vietnamese_diacritics_round_trip(clerk_client: TestClient) -> None:
    name = "Đặng Thị Hồng Nhung"
    title = "Phó Chủ tịch Ủy ban nhân dân quận Hoàn Kiếm"
    created = create(clerk_client, username="nhung.dang", full_name=name, title=title).json()
    fetched = clerk_client.get(f"/api/people/{created['id']}").json()
    assert (fetched["full_name"], fetched["title"]) == (name, title)
    found = clerk_client.get("/api/people", params={"q": "Hồng Nhung"}).json()
    assert [p["full_name"] for p in found["items"]] == [name]


def test_update_person(clerk_client: TestClient) -> None:
    person_id = create(clerk_client).json()["id"]
    response = clerk_client.patch(
        f"/api/people/{person_id}", json={"title": "Đại biểu", "active": False}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Đại biểu"
    assert response.json()["active"] is False
    assert_error(
        clerk_client.patch(f"/api/people/{person_id}", json={"email": "nope"}), 422, field="email"
    )


def test_unknown_person_is_404(clerk_client: TestClient) -> None:
    assert_error(clerk_client.get("/api/people/9999"), 404, "PersonNotFoundError")
    assert_error(clerk_client.patch("/api/people/9999", json={"title": "X"}), 404)


def test_search_by_name_or_username(clerk_client: TestClient) -> None:
    create(clerk_client, username="hung.tran", full_name="Trần Văn Hùng")
    create(clerk_client, username="mai.le", full_name="Lê Thị Mai")
    by_name = clerk_client.get("/api/people", params={"q": "văn hùng"}).json()
    assert [p["username"] for p in by_name["items"]] == ["hung.tran"]
    by_username = clerk_client.get("/api/people", params={"q": "MAI.LE"}).json()
    assert [p["username"] for p in by_username["items"]] == ["mai.le"]
    assert clerk_client.get("/api/people", params={"q": "không ai"}).json()["total"] == 0


@pytest.mark.parametrize("query", ["đỗ thị", "ĐỖ THỊ HOA", "Đỗ"])
def test_search_ignores_case_of_vietnamese_letters(clerk_client: TestClient, query: str) -> None:
    create(clerk_client, username="hoa.do", full_name="Đỗ Thị Hoa")
    create(clerk_client, username="do.van", full_name="Dỗ Văn Khác")
    found = clerk_client.get("/api/people", params={"q": query}).json()
    assert [p["username"] for p in found["items"]] == ["hoa.do"]


def test_pagination(clerk_client: TestClient) -> None:
    for n in range(5):
        create(clerk_client, username=f"page{n}", full_name=f"Phân Trang {n}")
    page = clerk_client.get(
        "/api/people", params={"q": "phân trang", "limit": 2, "offset": 2}
    ).json()
    assert page["total"] == 5
    assert (page["limit"], page["offset"]) == (2, 2)
    assert [p["full_name"] for p in page["items"]] == ["Phân Trang 2", "Phân Trang 3"]
    last = clerk_client.get(
        "/api/people", params={"q": "phân trang", "limit": 2, "offset": 4}
    ).json()
    assert len(last["items"]) == 1
    assert_error(clerk_client.get("/api/people", params={"limit": 0}), 422, field="limit")
    assert_error(clerk_client.get("/api/people", params={"offset": -1}), 422, field="offset")


CSV_GOOD_AND_BAD = """full_name,username,title,unit,email,phone,role
Nguyễn Văn An,an.nguyen,Đại biểu,Sở Tài chính,an@hanoi.gov.vn,0901234567,delegate
Trần Thị Bình,binh.tran,Thư ký,Văn phòng,,,secretariat
Lê Văn Cường,cuong.le,,,not-an-email,,delegate
,no.name,,,,,delegate
Phạm Văn Dũng,an.nguyen,,,,,delegate
Hoàng Thị Em,Bad Username,,,,,delegate
Vũ Văn Giang,giang.vu,,Sở Tài chính,,,overlord
Đỗ Thị Hoa,hoa.do,,,,,
"""


def test_csv_import_creates_good_rows_and_skips_bad_ones(
    clerk_client: TestClient, session: Session
) -> None:
    response = import_csv(clerk_client, CSV_GOOD_AND_BAD.encode("utf-8"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == ["an.nguyen", "binh.tran", "hoa.do"]
    skipped = {row["line"]: row["reason"] for row in report["skipped"]}
    assert sorted(skipped) == [4, 5, 6, 7, 8]
    assert "email" in skipped[4]
    assert "full_name" in skipped[5]
    assert "an.nguyen" in skipped[6]  # taken by line 2
    assert "username" in skipped[7]
    assert "role" in skipped[8]
    people = {
        p["username"]: p
        for p in clerk_client.get("/api/people", params={"limit": 100}).json()["items"]
    }
    assert people["an.nguyen"]["full_name"] == "Nguyễn Văn An"
    assert people["binh.tran"]["role"] == "secretariat"
    assert people["hoa.do"]["role"] == "delegate"
    units = {unit.id: unit.name for unit in session.exec(select(OrgUnit))}
    assert units[people["an.nguyen"]["unit_id"]] == "Sở Tài chính"


def test_csv_import_accepts_a_byte_order_mark(clerk_client: TestClient) -> None:
    content = "\ufefffull_name,username\nNguyễn Văn An,an.nguyen\n".encode()
    assert import_csv(clerk_client, content).json()["created"] == ["an.nguyen"]


def test_csv_import_skips_a_username_already_in_the_database(clerk_client: TestClient) -> None:
    create(clerk_client, username="an.nguyen")
    report = import_csv(clerk_client, b"full_name,username\nAn,an.nguyen\n").json()
    assert report["created"] == []
    assert report["skipped"][0]["line"] == 2


def test_non_utf8_csv_is_422(clerk_client: TestClient, session: Session) -> None:
    content = "full_name,username\nLê Văn An,an.le\n".encode("cp1258")  # Excel's Vietnamese
    before = count_people(session)
    assert_error(import_csv(clerk_client, content), 422, field="file")
    assert count_people(session) == before


def test_csv_without_the_needed_columns_is_422(clerk_client: TestClient) -> None:
    body = assert_error(import_csv(clerk_client, b"name,login\nAn,an\n"), 422, field="file")
    assert "full_name" in body["detail"]
    assert "username" in body["detail"]


def test_units(clerk_client: TestClient) -> None:
    created = clerk_client.post("/api/units", json={"name": "Sở Nội vụ", "code": "SNV"})
    assert created.status_code == 201
    assert clerk_client.get("/api/units").json() == [created.json()]
    assert_error(clerk_client.post("/api/units", json={"name": ""}), 422, field="name")
