"""How the app marks a finding's severity: its icon beside the words (the words themselves are
`healthcheck.core.vocabulary.SEVERITY_LABEL`; the icon never carries the meaning alone)."""

SEVERITY_ICON = {"high": ":material/error:", "medium": ":material/warning:", "low": ":material/info:",
                 "info": ":material/lightbulb:"}
