"""A stored poll result as CSV (for spreadsheets) or PDF (for the minutes)."""

from typing import Any

from core import pdf
from core.pdf import Row, Translate, as_is


def summary_rows(result: dict[str, Any], tr: Translate = as_is) -> list[tuple[str, str]]:
    """The figures of a result as (label, value) lines."""
    document = result.get("document") or {}
    yes, no = tr("Yes"), tr("No")
    rows = [
        ("Poll", result["title"]),
        ("Kind", result["kind"]),
        ("Ballot", tr("Secret") if result["secret"] else tr("Named")),
        ("Majority rule", result.get("majority_rule") or ""),
        ("Document version", str(document.get("version") or "")),
        ("Document sha256", document.get("sha256") or ""),
        ("Opened at", result.get("opened_at") or ""),
        ("Closed at", result.get("closed_at") or ""),
        ("Members with a voting right", str(result["members"])),
        ("Present at closing", str(result["present"])),
        ("Represented by proxy", str(result["represented"])),
        ("Eligible at closing", str(result["eligible"])),
        ("Quorum required", str(result["quorum_required"])),
        ("Quorum met", yes if result["quorum_met"] else no),
        ("Ballots", str(result["ballots"])),
        ("Valid ballots", str(result["valid"])),
    ]
    if "abstentions" in result:
        rows.append(("Abstentions", str(result["abstentions"])))
    if result.get("needed") is not None:
        rows.append(("Votes needed", str(result["needed"])))
    verdict = result.get("verdict")
    rows.append(("Verdict", tr(verdict.capitalize()) if verdict else tr("(no verdict)")))
    return [(tr(label), value) for label, value in rows]


def count_rows(result: dict[str, Any], tr: Translate = as_is) -> list[tuple[str, str]]:
    """Votes per option, or agree / disagree counts of an opinion poll."""
    if "options" in result:
        return [(tr(option["label"]), str(option["votes"])) for option in result["options"]]
    return [
        (tr("Agree"), str(result["agree"])),
        (tr("Disagree"), str(result["disagree"])),
        (tr("No position"), str(result["no_position"])),
    ]


def ballot_rows(
    result: dict[str, Any], tr: Translate = as_is
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """A header and one line per ballot: the voter (named) or the receipt code (secret)."""
    if result["secret"]:
        return (tr("Receipt"), tr("Answer")), [
            (line["receipt"], line["answer"]) for line in result["receipts"]
        ]
    return (tr("Voter"), tr("Answer"), tr("Cast by proxy holder")), [
        (line["full_name"], line["answer"], line.get("cast_by_name") or "")
        for line in result["voters"]
    ]


def result_tables(result: dict[str, Any], tr: Translate = as_is) -> list[list[Row]]:
    """Figures, counts per option, then one line per ballot, as tables."""
    header, lines = ballot_rows(result, tr)
    return [
        [(tr("Result"), ""), *summary_rows(result, tr)],
        [(tr("Option"), tr("Number of votes")), *count_rows(result, tr)],
        [header, *lines],
    ]


def result_csv(result: dict[str, Any], tr: Translate = as_is) -> str:
    """The result as CSV: figures, counts, then one line per ballot."""
    summary, *rest = result_tables(result, tr)
    return pdf.csv_text([summary[1:], *rest])


def result_section(result: dict[str, Any], tr: Translate = as_is) -> pdf.Section:
    """The result as one section of a PDF report, headed by the poll's title."""
    return pdf.Section(heading=result["title"], tables=result_tables(result, tr))


def result_pdf(result: dict[str, Any], tr: Translate = as_is) -> bytes:
    """The result as a one-or-more page PDF with its figures, counts and ballots."""
    return pdf.tables_pdf(result["title"], [pdf.Section(tables=result_tables(result, tr))])
