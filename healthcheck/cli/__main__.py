"""`python -m healthcheck.cli`: the same as the `healthcheck` console script."""

from healthcheck.cli import main

raise SystemExit(main())
