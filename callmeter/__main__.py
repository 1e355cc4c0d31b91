from callmeter.cli import main

raise SystemExit(main())
