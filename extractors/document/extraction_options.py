"""How a run extracts pages (the resolved prompt and token profile, the budget, the re-asks),
and everything its session is built from.

Not among `extractors/options.py`'s plain options: it holds the prompt and token profile
objects resolved from them, which belong to the endpoint and plan stages.
"""

from dataclasses import dataclass, field

from extractors.discover.page_ranges import EVERY_PAGE, PageRanges
from extractors.endpoint.prompt import ExtractionSchema, Prompt
from extractors.options import BudgetOptions, EndpointOptions, InFlight, RateLimits, RenderOptions
from extractors.plan.profiles.base import TokenProfile
from extractors.records import RowContext


@dataclass(frozen=True)
class ExtractionOptions:
    """Everything about how pages are extracted, fixed for a run."""

    prompt: Prompt
    profile: TokenProfile
    budget: BudgetOptions
    render: RenderOptions = field(default_factory=RenderOptions)
    # Bad answers (broken JSON, missing or conflicting items) cost one request each to ask
    # again; a 200-page fault mix with ~13% unusable answers lost a page in ~5% of runs at 3.
    max_reasks: int = 5
    # A document answer that fails validation is asked again once, with the errors.
    validation_reasks: int = 1
    # `--pages`: the pages of each document asked for; the others get no row. Not part of
    # `options_version`: a wider selection later asks only the pages not yet ok.
    pages: PageRanges = EVERY_PAGE
    # `--keep-blank`, `--keep-duplicates`: send such pages rather than answer them without a
    # request (`extractors/document/set_aside.py`). A row written stays on resume.
    keep_blank: bool = False
    keep_duplicates: bool = False

    @property
    def schema(self) -> ExtractionSchema:
        return self.prompt.schema


@dataclass(frozen=True)
class SessionOptions:
    """What a run's shared resources are built from."""

    extraction: ExtractionOptions
    endpoint: EndpointOptions
    rows: RowContext
    in_flight: InFlight
    rates: RateLimits = field(default_factory=RateLimits)
    password: str | None = field(default=None, repr=False)
    # Render processes: None for one per core.
    render_workers: int | None = None
    flush_rows: int = 256
