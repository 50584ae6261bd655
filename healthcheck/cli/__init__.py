"""The `healthcheck` console script. Thin: each command (one module each) turns its arguments
into a call to the core, the services or the presenters, and prints the result.

Exit codes (contract): 0 success, 1 invalid input (each problem on its own line, located),
2 usage.
"""

from healthcheck.cli.arguments import DEFAULT_PORT
from healthcheck.cli.calibrate import cmd_calibrate
from healthcheck.cli.demo import cmd_demo
from healthcheck.cli.export_all import cmd_export_all
from healthcheck.cli.parser import build_parser, main
from healthcheck.cli.portfolio import cmd_portfolio
from healthcheck.cli.report import cmd_report
from healthcheck.cli.score import cmd_score
from healthcheck.cli.serve import app_path, cmd_serve
from healthcheck.cli.template import cmd_template, cmd_translation_template
from healthcheck.cli.validate import cmd_validate

__all__ = [
    "DEFAULT_PORT", "app_path", "build_parser", "cmd_calibrate", "cmd_demo", "cmd_export_all",
    "cmd_portfolio", "cmd_report", "cmd_score", "cmd_serve", "cmd_template", "cmd_translation_template",
    "cmd_validate", "main",
]

if __name__ == "__main__":
    raise SystemExit(main())
