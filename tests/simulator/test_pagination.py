"""Link pagination (cursors and page numbers) and ``expand``."""

from __future__ import annotations

import re

import pytest

from simulator.timeutil import iso

from .conftest import Api, Reply

LINK = re.compile(r'<([^>]*)>; rel="previous", <([^>]*)>; rel="next"')


def _links(reply: Reply) -> tuple[str, str]:
    match = LINK.fullmatch(reply.headers["Link"])
    assert match, reply.headers["Link"]
    return match.group(1), match.group(2)


@pytest.mark.parametrize("size", ["0", "101", "-1", "ten"])
async def test_page_size_out_of_bounds_is_a_pagination_problem(api: Api, size: str) -> None:
    reply = await api.get("/v2/evses", params={"page_size": size})
    assert reply.status == 400
    assert reply.json()["type"] == "https://api.ev.energy/v2/problems/pagination-parameters/"
    assert reply.json()["detail"] == "Invalid value for pagination parameter: page_size"


@pytest.mark.parametrize("size", ["1", "100"])
async def test_page_size_bounds_are_inclusive(api: Api, size: str) -> None:
    assert (await api.get("/v2/evses", params={"page_size": size})).status == 200


async def test_single_page_has_blank_ends(api: Api) -> None:
    reply = await api.get("/v2/evses")
    assert _links(reply) == ("about:blank", "about:blank")


async def test_default_page_size_is_25(api: Api) -> None:
    evse_id = api.sim.evse_ids[0]
    reply = await api.get(f"/v2/evses/{evse_id}/status_logs")
    assert len(reply.json()) == 25


async def test_walking_all_pages_forward_and_back(api: Api) -> None:
    evse_id = api.sim.evse_ids[0]
    expected = [iso(log.sampled_at) for log in reversed(api.sim.state.evse_logs[evse_id])]
    assert len(expected) > 100
    seen: list[str] = []
    pages = []
    url = f"/v2/evses/{evse_id}/status_logs?page_size=40"
    while url != "about:blank":
        reply = await api.get(url)
        assert reply.status == 200
        seen += [log["sampled_at"] for log in reply.json()]
        pages.append(reply)
        url = _links(reply)[1]
        assert url == "about:blank" or url.startswith(api.sim.origin + "/v2/evses/")
    assert seen == expected  # newest first, each exactly once
    assert _links(pages[0])[0] == "about:blank"
    back: list[str] = []
    url = _links(pages[-1])[0]
    while url != "about:blank":
        reply = await api.get(url)
        back = [log["sampled_at"] for log in reply.json()] + back
        url = _links(reply)[0]
    assert back + [log["sampled_at"] for log in pages[-1].json()] == expected


async def test_links_keep_the_filters(api: Api) -> None:
    evse_id = api.sim.evse_ids[0]
    since = "2026-11-20T12:00:00.000000Z"
    reply = await api.get(
        f"/v2/evses/{evse_id}/status_logs",
        params={"sampled_at__gte": since, "page_size": "5", "expand": "evse"},
    )
    next_url = _links(reply)[1]
    assert "sampled_at__gte=2026-11-20T12:00:00.000000Z" in next_url
    assert "expand=evse" in next_url
    total = 0
    url = next_url
    total += len(reply.json())
    while url != "about:blank":
        page = await api.get(url)
        assert all(log["sampled_at"] >= since for log in page.json())
        assert isinstance(page.json()[0]["evse"], dict)
        total += len(page.json())
        url = _links(page)[1]
    assert total == 67  # 12:00 to 17:30 every 5 minutes


@pytest.mark.parametrize(
    "params",
    [{"page_after": "evse00000000000000000000000000"}, {"page_before": "x", "page_after": "y"}],
)
async def test_bad_cursors_are_pagination_problems(api: Api, params: dict[str, str]) -> None:
    reply = await api.get("/v2/evses", params=params)
    assert reply.status == 400
    assert reply.json()["type"].endswith("/pagination-parameters/")


async def test_id_cursor_pages(api: Api) -> None:
    notes = await api.get("/v2/notifications", params={"page_size": "1"})
    previous, next_url = _links(notes)
    assert previous == "about:blank"
    assert "page_after=notf" in next_url
    second = await api.get(next_url)
    assert second.json()[0]["id"] != notes.json()[0]["id"]
    assert "page_before=notf" in _links(second)[0]


async def test_polling_between_two_times_returns_what_happened(api: Api) -> None:
    evse_id = api.sim.evse_ids[0]
    last_poll = api.sim.clock.now()
    api.sim.clock.advance(30 * 60)
    reply = await api.get(
        f"/v2/evses/{evse_id}/status_logs",
        params={"sampled_at__gte": iso(last_poll), "sampled_at__lte": iso(api.sim.clock.now())},
    )
    stamps = [log["sampled_at"] for log in reply.json()]
    assert stamps[0] == "2026-11-20T18:00:00.000000Z"
    assert stamps[-1] == "2026-11-20T17:30:00.000000Z"
    assert len(stamps) == 7


async def test_page_number_pagination(api: Api) -> None:
    tariff_id = next(iter(api.sim.state.tariffs))
    path = f"/v2/tariffs/{tariff_id}/prices"
    first = await api.get(path, params={"page_size": "50"})
    assert len(first.json()) == 50
    previous, next_url = _links(first)
    assert previous == "about:blank"
    assert "page=2" in next_url
    second = await api.get(next_url)
    assert len(second.json()) == 46  # 2 days of half hours = 96
    assert _links(second)[1] == "about:blank"
    assert "page=1" in _links(second)[0]
    assert [p["started_at"] for p in first.json()][:2] == [
        "2026-11-21T23:30:00.000000Z",
        "2026-11-21T23:00:00.000000Z",
    ]
    for bad in ("0", "two"):
        assert (await api.get(path, params={"page": bad})).status == 400


async def test_expand_nested_and_repeated(api: Api) -> None:
    reply = await api.get("/v2/evses", params=[("expand", "model.make"), ("expand", "user")])
    evse = reply.json()[0]
    assert evse["model"]["make"]["name"] == "myenergi"
    assert evse["user"]["id"] == api.sim.primary_user_id
    assert isinstance(evse["latest_status_log"], str)


async def test_expand_comma_list(api: Api) -> None:
    reply = await api.get("/v2/vehicles", params={"expand": "trim.model.make,latest_status_log"})
    vehicle = reply.json()[0]
    assert vehicle["trim"]["model"]["make"]["name"] == "Kia"
    assert vehicle["latest_status_log"]["state"] == "PLUGGED_IN_NOT_CHARGING"


async def test_expand_not_allowed_here_is_400(api: Api) -> None:
    reply = await api.get(f"/v2/evses/{api.sim.evse_ids[0]}", params={"expand": "model.owner"})
    assert reply.status == 400
    assert reply.json()["field_errors"] == {"expand": ["Invalid value: model.owner"]}


async def test_new_device_has_no_latest_status_log_until_sampled(api: Api) -> None:
    evse = api.sim.faults.add_evse()
    reply = await api.get(f"/v2/evses/{evse.id}", params={"expand": "latest_status_log"})
    assert reply.json()["latest_status_log"] is None
    api.sim.clock.advance(300)
    reply = await api.get(f"/v2/evses/{evse.id}", params={"expand": "latest_status_log"})
    assert reply.json()["latest_status_log"]["is_plugged_in"] is False


async def test_user_expand_of_location(api: Api) -> None:
    reply = await api.get(
        "/v2/users",
        params=[
            ("expand", "default_location.tariff.supplier"),
            ("expand", "default_location.evse_site"),
        ],
    )
    location = reply.json()[0]["default_location"]
    assert location["tariff"]["supplier"]["name"] == "Octopus Energy"
    assert location["evse_site"]["evses"] == [f"{api.sim.api_base}/evses/{api.sim.evse_ids[0]}"]


async def test_sessions_expand(api: Api) -> None:
    reply = await api.get(
        "/v2/charging_sessions", params=[("expand", "sub_sessions"), ("expand", "vehicle")]
    )
    newest = reply.json()[0]
    assert newest["end"] is None
    assert newest["sub_sessions"][0]["mode"] == "SMART"
    assert newest["vehicle"]["id"] == api.sim.vehicle_ids[0]
