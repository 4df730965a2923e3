"""What an output file held besides answers to ingest: lines of other runs, duplicates, a cut
last line, lines for pages already ok. Counted, and told in one line each."""

from dataclasses import dataclass, field

from extractors.batch.output_lines import OutputLine

# Each kind of line skipped, as the terminal tells it.
_SAID = {
    "foreign": "with a custom_id of no request of this plan, skipped",
    "duplicate": "repeating a custom_id already read in this command, skipped",
    "already_ok": "for pages already ok in the dataset, skipped",
    "already_ingested": "already ingested by an earlier command, skipped",
    "unreadable": "that are not JSON or name no custom_id, left waiting",
    "cut": "cut short (no newline, not whole JSON), left waiting",
    "oversize": "larger than the answer cap: their pages are answer errors",
}


@dataclass
class LineTally:
    """The lines of one file that were not plain answers, by kind, with the first of each."""

    file: str
    counts: dict[str, int] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)

    def note(self, kind: str, example: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.first.setdefault(kind, example)

    def unreadable(self, line: OutputLine) -> None:
        """A line that cannot be read: cut, when it is the last and has no newline."""
        kind = "unreadable" if line.ended else "cut"
        self.note(kind, f"line {line.number}, {line.size:,} bytes")

    def lines(self) -> list[str]:
        """One line per kind found."""
        return [
            f"{self.file}: {count:,} line(s) {_SAID[kind]} (first: {self.first[kind]})"
            for kind, count in self.counts.items()
        ]


def totals(tallies: list[LineTally]) -> dict[str, int]:
    """Each kind's count over several files."""
    summed: dict[str, int] = {}
    for tally in tallies:
        for kind, count in tally.counts.items():
            summed[kind] = summed.get(kind, 0) + count
    return summed
