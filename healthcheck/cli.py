def main() -> int:  # placeholder until the CLI lands in this change
    raise SystemExit("not yet")
