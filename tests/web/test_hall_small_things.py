"""Issue 14, points 6 and 9: no cached personal pages, a form posted after the session ended
comes back to its page, the API docs from local assets, no inline event handlers, the `make
run` banner, and the site's language as a setting with the person's choice on their account."""

import re
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from cli.main import app as cli
from demo.council import DEFAULT_PASSWORD, print_logins
from models import Meeting, Person, Role
from tests.factories import PASSWORD, login, make_user
from web.app import create_app
from web.auth import safe_local_path
from web.docs import NODE_MODULES
from web.settings import Settings

ROOT = Path(__file__).parents[2]
TEMPLATES = ROOT / "web" / "templates"
EN_BROWSER = {"accept-language": "en-US,en;q=0.9"}


def page_login(client: TestClient, person: Person) -> TestClient:
    """Logged in through the API, posting forms as the pages do (the token as a field)."""
    login(client, person)
    client.headers.pop("x-csrf-token", None)
    return client


def form_login(client: TestClient, person: Person, next: str = "/") -> str:
    """Log in through the login form; the page it sends the person to."""
    fields = {
        "csrf_token": client.cookies.get("hop_csrf") or client.get("/login").cookies["hop_csrf"],
        "username": person.username,
        "password": PASSWORD,
        "next": next,
    }
    response = client.post("/login", data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


# 6. Sessions.


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/api/me", "/api/meetings"])
def test_pages_and_api_answers_are_not_cached(client: TestClient, path: str) -> None:
    assert client.get(path).headers["cache-control"] == "no-store"


def test_a_page_with_personal_data_is_not_cached(client: TestClient, clerk: Person) -> None:
    page_login(client, clerk)
    people = client.get("/people")
    assert people.status_code == 200
    assert people.headers["cache-control"] == "no-store"
    assert client.get("/api/people").headers["cache-control"] == "no-store"


def test_static_files_stay_cacheable(client: TestClient) -> None:
    assert "cache-control" not in client.get("/static/hop.css").headers


def test_a_form_posted_after_logout_comes_back_to_its_page(
    client: TestClient, clerk: Person, meeting: Meeting
) -> None:
    page_login(client, clerk)
    editor = f"/meetings/{meeting.id}/edit?tab=agenda"
    assert client.get(editor).status_code == 200
    csrf = client.cookies.get("hop_csrf")
    # Logged out in another tab: the session cookie is gone, the form is still on screen.
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).is_redirect
    posted = client.post(
        f"/meetings/{meeting.id}/agenda",
        data={"csrf_token": csrf, "title": "Báo cáo bổ sung"},
        headers={"referer": f"http://testserver{editor}"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert location == f"/login?next=/meetings/{meeting.id}/edit%3Ftab%3Dagenda"
    login_page = client.get(location)
    assert login_page.status_code == 200
    assert f'value="{editor}"' in login_page.text.replace("&amp;", "&")
    back = form_login(client, clerk, next=editor)
    assert back == editor
    assert client.get(back).status_code == 200  # a page, never a 405


@pytest.mark.parametrize(
    "referer",
    [None, "http://evil.example/meetings", "not a url", "http://testserver//evil.example"],
)
def test_a_post_without_a_page_of_ours_comes_back_home(
    client: TestClient, clerk: Person, meeting: Meeting, referer: str | None
) -> None:
    page_login(client, clerk)
    csrf = client.cookies.get("hop_csrf")
    client.cookies.delete("hop_session")
    headers = {"referer": referer} if referer else {}
    posted = client.post(
        f"/meetings/{meeting.id}/agenda",
        data={"csrf_token": csrf, "title": "X"},
        headers=headers,
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/login?next=/"


def test_a_get_comes_back_with_its_query(client: TestClient) -> None:
    response = client.get("/people?unit=3", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/people%3Funit%3D3"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/meetings/1/edit?tab=agenda", "/meetings/1/edit?tab=agenda"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("\\\\evil.example", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_only_local_paths_are_followed_after_login(target: str | None, expected: str) -> None:
    assert safe_local_path(target) == expected


def test_the_login_form_refuses_to_send_elsewhere(client: TestClient, clerk: Person) -> None:
    assert form_login(client, clerk, next="//evil.example/") == "/"
    assert form_login(client, clerk, next="/\\evil.example/") == "/"


# 9a. The API docs from local assets.


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(str(values[name]))
        self._in_script = tag == "script" and "src" not in values

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.fixture
def installed() -> None:
    if not (NODE_MODULES / "swagger-ui-dist").is_dir() or not (NODE_MODULES / "redoc").is_dir():
        pytest.fail("the front-end packages are not installed: run `make install` (npm ci)")


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_use_only_assets_of_our_own(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assets = _Assets()
    assets.feed(page.text)
    assert assets.inline_scripts == 0  # the CSP would block them
    assert any(url.endswith(".js") for url in assets.urls)
    for url in assets.urls:
        parts = urlsplit(url)
        assert not parts.scheme, url
        assert not parts.netloc, url
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    assert "openapi.json" in page.text
    assert client.get("/openapi.json").status_code == 200


def test_the_docs_work_under_the_csp(client: TestClient) -> None:
    # ReDoc's search worker comes from a blob: URL, which the CSP refuses: search is off.
    assert "disable-search" in client.get("/redoc").text
    swagger = client.get("/docs")
    # "Try it out" echoes the CSRF token, as the pages' scripts do.
    assert f'data-csrf-token="{client.cookies["hop_csrf"]}"' in swagger.text
    assert "x-csrf-token" in client.get("/static/docs.js").text


def test_docs_are_not_in_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/docs" not in paths
    assert "/redoc" not in paths


def test_the_front_end_packages_are_locked() -> None:
    assert (ROOT / "package.json").is_file()
    assert (ROOT / "package-lock.json").is_file()
    assert "node_modules/" in (ROOT / ".gitignore").read_text().split()
    assert "npm ci" in (ROOT / "Makefile").read_text()


# 9b. No inline event handlers (the CSP blocks them).

INLINE_HANDLER = re.compile(r"<[^>]*?(?<![\w-])on[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_have_no_inline_event_handlers(path: Path) -> None:
    text = path.read_text()
    assert not INLINE_HANDLER.search(text), INLINE_HANDLER.search(text)
    assert not JAVASCRIPT_URL.search(text)


def test_the_scan_finds_what_it_looks_for() -> None:
    assert INLINE_HANDLER.search('<button type="button" onclick="window.print()">')
    assert INLINE_HANDLER.search("<body\n  onload='go()'>")
    assert not INLINE_HANDLER.search('<form data-confirm="Close?" class="inline">')
    assert not INLINE_HANDLER.search("<p>Turn the camera on=now</p>")


def test_the_qr_page_prints_from_a_script_file(
    client: TestClient, clerk: Person, meeting: Meeting
) -> None:
    page_login(client, clerk)
    page = client.get(f"/meetings/{meeting.id}/checkin/qr")
    assert page.status_code == 200
    assert "data-print" in page.text
    assert '<script src="/static/print.js" defer></script>' in page.text
    script = client.get("/static/print.js")
    assert script.status_code == 200
    assert "window.print()" in script.text


# 9c. The `make run` banner.


def test_the_demo_banner_shows_the_address_it_is_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_logins(DEFAULT_PASSWORD, url="http://127.0.0.1:8611")
    shown = capsys.readouterr().out
    assert "open http://127.0.0.1:8611 " in shown
    assert "8000" not in shown


def test_hop_demo_prints_the_url(
    settings: Settings, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOP_DEMO_PASSWORD", PASSWORD)
    monkeypatch.setenv("HOP_PUBLIC_URL", "http://hop.local:9000")
    runner = CliRunner()
    given = runner.invoke(cli, ["demo", "--if-empty", "--url", "http://0.0.0.0:8611"])
    assert given.exit_code == 0, given.output
    assert "open http://0.0.0.0:8611 " in given.output
    default = runner.invoke(cli, ["demo", "--if-empty"])
    assert "open http://hop.local:9000 " in default.output  # HOP_PUBLIC_URL


def test_make_run_passes_its_host_and_port() -> None:
    shown = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "run", "HOST=127.0.0.1", "PORT=8611"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "demo --if-empty --url http://127.0.0.1:8611" in shown
    assert "serve --host 127.0.0.1 --port 8611" in shown


# 9d. The site's language.


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings) -> Iterator[MakeClient]:
    """A client of an app with these settings changed."""
    opened: list[TestClient] = []

    def make(**changes: object) -> TestClient:
        test_client = TestClient(create_app(settings.model_copy(update=changes)))
        opened.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


def test_the_language_settings_and_their_defaults() -> None:
    fresh = Settings(_env_file=None)
    assert fresh.default_language == "vi"
    assert fresh.use_browser_language is False


def test_an_english_browser_gets_the_site_language(client: TestClient) -> None:
    page = client.get("/login", headers=EN_BROWSER)
    assert '<html lang="vi">' in page.text
    assert "Tên đăng nhập" in page.text


def test_the_browser_language_when_the_setting_says_so(make_client: MakeClient) -> None:
    client = make_client(use_browser_language=True)
    assert '<html lang="en">' in client.get("/login", headers=EN_BROWSER).text
    assert '<html lang="vi">' in client.get("/login").text


def test_the_default_language_is_a_setting(make_client: MakeClient) -> None:
    client = make_client(default_language="en")
    assert '<html lang="en">' in client.get("/login").text
    assert '<html lang="vi">' in client.get("/login?lang=vi").text


def test_a_persons_choice_is_kept_on_their_account(client: TestClient, session: Session) -> None:
    person = make_user(session, role=Role.delegate)
    page_login(client, person)
    assert '<html lang="en">' in client.get("/my?lang=en").text
    session.refresh(person)
    assert person.language == "en"
    # Another device, with no cookie of its own: the account's choice, over the browser's too.
    with TestClient(client.app) as tablet:
        page_login(tablet, person)
        tablet.cookies.delete("hop_lang")
        assert '<html lang="en">' in tablet.get("/my", headers={"accept-language": "vi"}).text
        assert '<html lang="vi">' in tablet.get("/my?lang=vi").text
    session.refresh(person)
    assert person.language == "vi"


def test_a_language_chosen_on_the_login_page_goes_to_the_account(
    client: TestClient, session: Session
) -> None:
    person = make_user(session, role=Role.delegate)
    assert '<html lang="en">' in client.get("/login?lang=en").text
    form_login(client, person)
    session.refresh(person)
    assert person.language == "en"
    # Logging in on a device set to another language: the account's choice wins there.
    with TestClient(client.app) as shared:
        shared.get("/login?lang=vi")
        form_login(shared, person)
        assert shared.cookies.get("hop_lang") == "en"
        assert '<html lang="en">' in shared.get("/my").text
