"""`hop reindex`: the text of every version not yet indexed, once."""

from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.main import app as hop
from meetings import doctext
from meetings import search as doc_search
from meetings.documents import Uploads
from models import DocumentText, Meeting, Person, TextStatus
from tests.meetings.search_support import add_pdf
from web.settings import Settings

runner = CliRunner()


def test_reindex_indexes_what_was_never_indexed_once(
    session: Session,
    settings: Settings,
    cli_env: dict[str, str],
    meeting: Meeting,
    clerk: Person,
) -> None:
    uploads = Uploads.from_settings(settings)
    add_pdf(session, uploads, meeting, clerk, "hè phố", title="Một", index=False)
    add_pdf(session, uploads, meeting, clerk, "Đề án", title="Hai", index=False)
    assert doc_search.search(session, meeting, clerk, "he pho") == []

    first = runner.invoke(hop, ["reindex"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert "Indexed 2 document version(s)." in first.output
    session.expire_all()
    statuses = session.exec(select(DocumentText.status)).all()
    assert statuses == [TextStatus.indexed, TextStatus.indexed]
    assert doctext.unindexed_versions(session) == []
    assert [hit.title for hit in doc_search.search(session, meeting, clerk, "he pho")] == ["Một"]

    again = runner.invoke(hop, ["reindex"], env=cli_env)
    assert again.exit_code == 0, again.output
    assert "Indexed 0 document version(s)." in again.output
