"""Bring a running development Home Assistant to a usable ev.energy setup (used by scripts/develop).

    python -m scripts.devtools bootstrap --url http://127.0.0.1:8123 [--no-link]
    python -m scripts.devtools prepare-config --config config/

Each step is skipped when already done, so running it again against the same configuration is quick:
onboarding (or signing in), application credentials, linking the ev.energy account, waiting for live values.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys
import time

import aiohttp

from .config import prepare_config
from .hass import DEV_NAME, DEV_PASSWORD, DEV_USERNAME, NOT_LIVE, Hass, HassError

DOMAIN = "ev_energy"
# Failed states of a config entry after which bootstrap removes it and links the account again, when
# walking a reauthentication flow did not bring it back.
FAILED_ENTRY_STATES = frozenset({"setup_error", "migration_error"})


def _print(message: str) -> None:
    print(f"\033[1m[ev_energy]\033[0m {message}", file=sys.stderr, flush=True)


async def _entry_settled(hass: Hass, within: float) -> dict[str, object] | None:
    """Wait until the domain's entry leaves the loading states; return it (None when there is none)."""
    deadline = time.monotonic() + within
    while True:
        entries = await hass.config_entries(DOMAIN)
        if not entries:
            return None
        entry = entries[0]
        if entry["state"] not in {"not_loaded", "setup_in_progress"} or time.monotonic() > deadline:
            return entry
        await asyncio.sleep(0.5)


async def bootstrap(args: argparse.Namespace) -> int:
    """Run every step; return the process exit code."""
    started = args.started_at or time.time()

    def since_start() -> str:
        return f"{time.time() - started:.1f} s after start"

    async with aiohttp.ClientSession() as session:
        hass = Hass(args.url.rstrip("/"), session)
        await hass.wait_until_up(args.timeout)
        _print(f"Home Assistant answers at {hass.base_url} ({since_start()})")

        if await hass.sign_in(args.username, args.password, DEV_NAME):
            _print(f"onboarded: owner user {args.username!r} created")
        else:
            _print(f"already onboarded: signed in as {args.username!r}")

        if await hass.ensure_application_credentials(
            DOMAIN, args.client_id, args.client_secret, "ev.energy simulator"
        ):
            _print(f"application credentials {args.client_id!r} registered")
        if args.no_link:
            await hass.remove_offline_onboarding_entries()
            _print("not linking an ev.energy account (--no-link)")
            return 0

        entry = await _entry_settled(hass, args.timeout)
        if entry is not None and (reauth := await hass.flows_in_progress(DOMAIN, "reauth")):
            # A restarted simulator no longer knows the tokens Home Assistant holds: sign in again.
            _print("ev.energy asks to sign in again (reauthentication): walking that flow")
            result = await hass.walk_flow(reauth[0]["flow_id"], consent="Allow")
            _print(f"reauthentication: {result.get('reason', result['type'])}")
            entry = await _entry_settled(hass, args.timeout)
        if entry is not None and entry["state"] in FAILED_ENTRY_STATES:
            _print(f"the ev.energy entry is in state {entry['state']}: linking the account again")
            await hass.delete_config_entry(str(entry["entry_id"]))
            entry = None
        if entry is None:
            result = await hass.link_account(DOMAIN, consent="Allow")
            if result.get("type") != "create_entry":
                _print(f"the ev.energy config flow did not create an entry: {result}")
                return 1
            _print(f"ev.energy account linked: entry {result['title']!r} created")
            entry = await _entry_settled(hass, args.timeout)
        else:
            _print(f"ev.energy entry {entry['title']!r} already set up ({entry['state']})")

        states = await hass.wait_for_live_states(DOMAIN, args.entities_timeout)
        live = {key: value for key, value in states.items() if value["state"] not in NOT_LIVE}
        await hass.remove_offline_onboarding_entries()
        if not states:
            _print(
                "the ev.energy entry has no entities yet (the integration provides none so far); "
                "Home Assistant is running with the integration loaded"
            )
        else:
            _print(
                f"{len(live)} of {len(states)} ev.energy entities have live values ({since_start()})"
            )
            for entity_id, state in sorted(live.items())[: args.show]:
                unit = state["attributes"].get("unit_of_measurement", "")
                _print(f"  {entity_id} = {state['state']} {unit}".rstrip())
    return 0


def main() -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m scripts.devtools", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    boot = sub.add_parser("bootstrap", help="onboard, register credentials, link the account")
    boot.add_argument("--url", default="http://127.0.0.1:8123")
    boot.add_argument("--username", default=DEV_USERNAME)
    boot.add_argument("--password", default=DEV_PASSWORD)
    boot.add_argument("--client-id", default="ha-test-client")
    boot.add_argument("--client-secret", default="ha-test-secret")
    boot.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the server")
    boot.add_argument(
        "--entities-timeout", type=float, default=60.0, help="seconds to wait for live values"
    )
    boot.add_argument("--show", type=int, default=12, help="how many live values to print")
    boot.add_argument("--no-link", action="store_true", help="stop before the ev.energy OAuth flow")
    boot.add_argument(
        "--started-at", type=float, default=None, help="epoch seconds to report durations from"
    )
    prepare = sub.add_parser(
        "prepare-config",
        help="copy the committed files, link the integration, skip offline onboarding",
    )
    prepare.add_argument("--config", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "prepare-config":
        prepare_config(args.config)
        return 0
    try:
        return asyncio.run(bootstrap(args))
    except (HassError, aiohttp.ClientError) as err:
        _print(f"failed: {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
