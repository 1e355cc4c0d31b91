"""`callmeter erlang`: Erlang-B blocking and trunk sizing (docs/capacity.md).

Give two of --traffic, --channels and --blocking; the third is computed:
- `--traffic E --channels N`: the blocking probability;
- `--traffic E --blocking P`: the channels needed for that grade of service;
- `--channels N --blocking P`: the traffic those channels carry at that grade of service."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    erlang = commands.add_parser(
        "erlang",
        help="Erlang-B blocking and trunk sizing",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    erlang.add_argument("--traffic", type=float, metavar="E", help="offered traffic in erlangs")
    erlang.add_argument("--channels", type=int, metavar="N", help="number of trunks or channels")
    erlang.add_argument(
        "--blocking", type=float, metavar="P", help="grade of service, e.g. 0.01 for 1 %% blocked"
    )
    erlang.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from callmeter import erlang
    from callmeter.cli import CommandError

    given = [
        name for name in ("traffic", "channels", "blocking") if getattr(args, name) is not None
    ]
    try:
        if given == ["traffic", "channels"]:
            result = erlang.blocking(args.traffic, args.channels)
            print(
                f"blocking {result:.6f} ({result * 100:.4f} % of calls) "
                f"for {args.traffic:g} E on {args.channels} channels"
            )
        elif given == ["traffic", "blocking"]:
            needed = erlang.channels_needed(args.traffic, args.blocking)
            actual = erlang.blocking(args.traffic, needed)
            print(
                f"{needed} channels for {args.traffic:g} E at blocking <= {args.blocking:g} "
                f"(blocking {actual:.6f})"
            )
        elif given == ["channels", "blocking"]:
            traffic = erlang.offered_traffic(args.channels, args.blocking)
            print(f"{traffic:.2f} E on {args.channels} channels at blocking {args.blocking:g}")
        else:
            raise CommandError(
                "give exactly two of --traffic, --channels and --blocking "
                "(e.g. --traffic 20 --channels 30, or --traffic 20 --blocking 0.01)"
            )
    except ValueError as error:
        raise CommandError(str(error)) from None
    return 0
