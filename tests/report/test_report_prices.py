"""`visionbatch report`'s prices: the defaults, a prices file, and its errors."""

from pathlib import Path

import pytest
from report_data import GOOD, dataset, write_prices

from extractors.errors import PriceFileError
from extractors.report.build import build_report
from extractors.report.pricing import DEFAULT_PRICES, Price, load_prices
from extractors.sink.store import PAGES


def test_default_prices_fall_back_to_the_provider_and_never_guess() -> None:
    assert DEFAULT_PRICES.price_of("openai", "gpt-4o") == Price(2.50, 10.00, "USD", 0.5)
    assert DEFAULT_PRICES.price_of("openai", "gpt-4o-mini") == Price(0.15, 0.60, "USD", 0.5)
    assert DEFAULT_PRICES.price_of("scaleway", "pixtral-12b-2409") == Price(0.20, 0.20, "EUR")
    # Self-hosted providers cost nothing per token, whatever the model.
    for provider in ("local", "vllm", "ollama", "openai-compatible"):
        assert DEFAULT_PRICES.price_of(provider, "any-model").cost(10**6, 10**6) == 0
    # No model entry and no provider fallback: unknown.
    assert DEFAULT_PRICES.price_of("openai", "gpt-9-vision") is None
    assert DEFAULT_PRICES.price_of("scaleway-managed", "mistral/pixtral-12b-2409:bf16") is None


def test_a_prices_file_overrides_and_adds_entries(out_dir: Path, tmp_path: Path) -> None:
    prices = load_prices(
        write_prices(
            tmp_path,
            [
                {
                    "provider": "scaleway",
                    "model": "pixtral-12b-2409",
                    "input_per_million": 1,
                    "output_per_million": 3.0,
                    "currency": "eur",
                },
                {
                    "provider": "gravix",
                    "model": "*",
                    "input_per_million": 0.10,
                    "output_per_million": 0.20,
                    "currency": "USD",
                },
            ],
        )
    )
    assert prices.price_of("scaleway", "pixtral-12b-2409") == Price(1.0, 3.0, "EUR")
    assert prices.price_of("openai", "gpt-4o") == Price(2.50, 10.00, "USD", 0.5)  # default kept
    run_report = build_report(out_dir, prices)
    costs = {(u.provider, u.model): u.cost for u in dataset(run_report, PAGES).usage}
    assert costs == pytest.approx(
        {
            ("scaleway", "pixtral-12b-2409"): 500_000 * 1.0 / 1e6 + 43_000 * 3.0 / 1e6,
            ("gravix", "gemma3:12b"): 50_000 * 0.10 / 1e6 + 5_000 * 0.20 / 1e6,
        }
    )
    assert run_report.unpriced() == ()


def test_a_provider_wide_override_wins_over_default_model_prices(tmp_path: Path) -> None:
    entry = {**GOOD, "provider": "openai", "model": "*", "currency": "USD"}
    prices = load_prices(write_prices(tmp_path, [entry]))
    assert prices.price_of("openai", "gpt-4o") == Price(1.0, 2.0, "USD")
    assert prices.price_of("openai", "gpt-9") == Price(1.0, 2.0, "USD")
    assert prices.price_of("scaleway", "pixtral-12b-2409") == Price(0.20, 0.20, "EUR")


def test_a_prices_file_may_be_a_mapping_of_names(tmp_path: Path) -> None:
    entry = {
        "provider": "openai",
        "model": "gpt-4o",
        "input_per_million": 1.25,
        "output_per_million": 5,
        "currency": "USD",
    }
    prices = load_prices(write_prices(tmp_path, {"negotiated gpt-4o": entry}))
    assert prices.price_of("openai", "gpt-4o") == Price(1.25, 5.0, "USD")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            [{**GOOD, "input_per_million": -1}],
            "entry 1: input_per_million: Input should be greater",
        ),
        ([GOOD, {**GOOD, "model": "n", "currency": "euro"}], "entry 2: currency: String should"),
        ([{**GOOD, "output_per_million": "2"}], "entry 1: output_per_million: Input should be"),
        ([{k: v for k, v in GOOD.items() if k != "currency"}], "entry 1: currency: Field required"),
        ([{**GOOD, "cost": 3}], "entry 1: cost: Extra inputs are not permitted"),
        ({"mine": [GOOD]}, "entry mine: Input should be a valid dictionary"),
        ([GOOD, GOOD], "p/m priced twice"),
        ("0.20", "expected a list of prices or a mapping of name to price"),
    ],
)
def test_a_bad_prices_file_is_one_clear_line(
    tmp_path: Path, document: object, message: str
) -> None:
    with pytest.raises(PriceFileError) as raised:
        load_prices(write_prices(tmp_path, document))
    text = str(raised.value)
    assert text.startswith(f"prices file {tmp_path / 'prices.json'}: ")
    assert message in text and "\n" not in text


def test_a_prices_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('[{"provider": "p",}]')
    with pytest.raises(PriceFileError, match=r"not valid JSON: .* \(line 1, column 19\)"):
        load_prices(path)
    with pytest.raises(PriceFileError, match="cannot read it: No such file or directory"):
        load_prices(tmp_path / "missing.json")


def test_rows_answered_in_a_batch_cost_the_batch_price(tmp_path: Path) -> None:
    from report_data import page_row, write_parts

    from extractors.report.tables import usage_table

    def row(page: int, batch_id: str | None) -> object:
        made = page_row(
            "a.pdf",
            page,
            page,
            "r1",
            request=f"q{page}",
            prompt=1_000_000,
            completion=100_000,
            provider="openai",
            model="gpt-4o",
            latency=5.0,
        )
        return made.model_copy(update={"batch_id": batch_id})

    out = tmp_path / "out"
    write_parts(out / PAGES, "r1", [row(1, None), row(2, "batch_7"), row(3, "batch_7")])
    usage = dataset(build_report(out, DEFAULT_PRICES), PAGES).usage

    online, batch = sorted(usage, key=lambda line: line.batch)
    assert (online.requests, batch.requests) == (1, 2)
    assert online.cost == pytest.approx(2.50 + 1.00)
    assert batch.cost == pytest.approx(2 * (2.50 + 1.00) / 2)  # two requests at half price
    labels = [cells[1] for cells in usage_table(build_report(out, DEFAULT_PRICES)).rows]
    assert labels == ["openai / gpt-4o", "openai / gpt-4o (batch)"]
    # Scaleway publishes no batch figure: unknown, never the online price.
    assert DEFAULT_PRICES.batch_price_of("scaleway", "pixtral-12b-2409") is None
    assert DEFAULT_PRICES.batch_price_of("vllm", "any").cost(10**6, 10**6) == 0
