"""Command line: ``python -m simulator --host 127.0.0.1 --port 8099 --scenario home``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path
import signal

from .app import SimulatorServer
from .clock import ManualClock, ScaledClock
from .core import Simulator
from .oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from .scenarios import SCENARIOS


def _minute_of_day(text: str) -> int:
    hours, _, minutes = text.partition(":")
    try:
        value = int(hours) * 60 + int(minutes or 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HH:MM, got {text!r}") from None
    if not 0 <= value < 24 * 60:
        raise argparse.ArgumentTypeError(f"expected HH:MM, got {text!r}")
    return value


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--scenario", choices=SCENARIOS, default="home")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limit", type=int, default=1000)
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (0 = manual clock)",
    )
    parser.add_argument("--demo-approve", action="store_true", help="approve OAuth consent at once")
    parser.add_argument("--fleet-size", type=int, default=5)
    parser.add_argument("--home-battery", action="store_true")
    parser.add_argument(
        "--no-home-energy",
        dest="home_energy",
        action="store_false",
        help="the home scenario without its HEM system and grid meter",
    )
    parser.add_argument("--token-lifetime", type=int, default=36000, help="access token seconds")
    parser.add_argument(
        "--routine-speed",
        type=int,
        default=1,
        help="compress the day's routine (trips, tariff, sun, charging energy) N times while "
        "the clock keeps its --speed; N divides 1800 (the demo: --speed 1 --routine-speed 60)",
    )
    parser.add_argument(
        "--routine-start",
        type=_minute_of_day,
        default=None,
        metavar="HH:MM",
        help="the routine's time of day at the start (default: the clock's)",
    )
    parser.add_argument(
        "--sample-interval", type=float, default=300.0, help="seconds between device reports"
    )
    parser.add_argument(
        "--history-hours", type=float, default=18.0, help="warm-up history before now"
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help="resume from this JSON file if it exists; save to it every 30 s and on exit",
    )
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    clock = ManualClock() if args.speed == 0 else ScaledClock(speed=args.speed)
    sim = Simulator(
        args.scenario,
        seed=args.seed,
        rate_limit=args.rate_limit,
        clock=clock,
        demo_approve=args.demo_approve,
        fleet_size=args.fleet_size,
        home_battery=args.home_battery,
        home_energy=args.home_energy,
        access_token_lifetime=args.token_lifetime,
        routine_speed=args.routine_speed,
        routine_start_minute=args.routine_start,
        sample_interval_seconds=args.sample_interval,
        history_hours=args.history_hours,
        state_file=args.state_file,
    )
    # Before the banner: whoever reads it may stop us at once (and the state must be saved).
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = SimulatorServer(sim)
    origin = await server.start(args.host, args.port)
    print(  # noqa: T201 - the CLI banner
        json.dumps(
            {
                **sim.describe(),
                "api": origin + "/v2",
                "authorize_url": origin + "/o/authorize/",
                "token_url": origin + "/o/token/",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
            },
            indent=2,
        ),
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await server.stop()


def main() -> None:
    """Run the simulator until interrupted."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_serve(_parse_args()))


if __name__ == "__main__":
    main()
