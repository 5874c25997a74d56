"""The Link header is read strictly, the same way whatever the HTTP library's version does with a broken one."""

from __future__ import annotations

import pytest
from yarl import URL

from custom_components.ev_energy.api.pagination import next_link

BASE = URL("https://api.ev.energy/v2/evses?page_size=100")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (['</v2/evses?page=2>; rel="next"'], "https://api.ev.energy/v2/evses?page=2"),
        (
            ["<https://api.ev.energy/v2/evses?page=2>; rel=next"],
            "https://api.ev.energy/v2/evses?page=2",
        ),
        (
            ['<about:blank>; rel="prev", </v2/evses?page=3>; rel="next last"'],
            "https://api.ev.energy/v2/evses?page=3",
        ),
        (['</v2/evses?page=3>; title="a, b"; rel="next"'], "https://api.ev.energy/v2/evses?page=3"),
        (
            ['<about:blank>; rel="prev"', '</v2/evses?page=4>; REL="Next"'],
            "https://api.ev.energy/v2/evses?page=4",
        ),
        (['<about:blank>; rel="next"'], "about:blank"),
    ],
)
def test_the_next_link_is_found(headers: list[str], expected: str) -> None:
    assert next_link(headers, BASE) == (URL(expected), False)


@pytest.mark.parametrize(
    "headers",
    [
        [],
        ['<about:blank>; rel="prev"'],
        ["garbage without a target"],
        ['</v2/evses?page=2>; rel="nextish"'],
    ],
)
def test_no_next_link_is_the_end(headers: list[str]) -> None:
    assert next_link(headers, BASE) == (None, False)


@pytest.mark.parametrize(
    "headers",
    [
        # An entry without <...>: libraries disagree on what follows it, so the next link is unreadable.
        ['<about:blank>; rel="previous", /v2/evses?page=2; rel="next"'],
        ['/v2/evses?page=2; rel="next"'],
        ['<http://[::1>; rel="next"'],
    ],
)
def test_a_next_link_that_cannot_be_read_is_reported(headers: list[str]) -> None:
    assert next_link(headers, BASE) == (None, True)
