"""Partnership Health Check: the Streamlit app (run with `healthcheck serve`).

Thin on purpose: routing, pages and the error boundary live in healthcheck/ui/.
"""

from healthcheck.ui.router import main

main()
