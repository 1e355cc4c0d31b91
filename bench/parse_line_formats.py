"""Throughput of the line-based parsers (avaya, mitel, asterisk, freeswitch): a thin wrapper
over bench/parse_rates.py for just these formats.

    .venv/bin/python -m bench.parse_line_formats [--records 100000] [--repeat 3]
"""

from __future__ import annotations

import sys

from bench.parse_rates import main

if __name__ == "__main__":
    sys.argv[1:1] = ["--formats", "avaya,mitel,asterisk,freeswitch"]
    main()
