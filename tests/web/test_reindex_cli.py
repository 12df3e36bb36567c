"""`hop reindex`: the text of every version not yet indexed, once; an Office version's PDF
rendering when it has none, its text then read from it."""

import io

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.main import app as hop
from meetings import doctext, renditions
from meetings import documents as docs
from meetings import search as doc_search
from meetings.documents import Uploads
from models import DocumentText, Meeting, Person, TextStatus
from tests.meetings.search_support import add_pdf
from tests.meetings.test_renditions import STREET, docx_bytes, fake_convert
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


def test_reindex_renders_an_office_file_that_had_no_text_and_indexes_its_pdf(
    session: Session,
    settings: Settings,
    cli_env: dict[str, str],
    meeting: Meeting,
    clerk: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Word file stored before the reader (or while LibreOffice was missing): no rendering,
    # and its text recorded as "none to read".
    uploads = Uploads.from_settings(settings)
    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title="Dự thảo",
        source=io.BytesIO(docx_bytes("Tờ trình", STREET)),
        filename="du-thao.docx",
        uploader=clerk,
    )
    docs.publish_document(session=session, document=document)
    version = docs.get_version(session=session, document=document)
    doctext.index_version(session, version, store=uploads.store)
    assert session.get(DocumentText, version.id).status == TextStatus.no_text  # type: ignore[union-attr]
    monkeypatch.setattr(renditions, "converter", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(renditions, "convert", fake_convert)  # LibreOffice's own: test_renditions

    first = runner.invoke(hop, ["reindex"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert "Rendered 1 Office document version(s) as PDF." in first.output
    assert "Indexed 1 document version(s)." in first.output
    session.expire_all()
    assert [hit.page for hit in doc_search.search(session, meeting, clerk, "he pho dong da")] == [1]

    again = runner.invoke(hop, ["reindex"], env=cli_env)
    assert "Rendered 0 Office document version(s) as PDF." in again.output
    assert "Indexed 0 document version(s)." in again.output
