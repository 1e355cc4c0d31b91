"""One module per `callmeter` subcommand, each with `register(commands)` (see callmeter.cli)."""
