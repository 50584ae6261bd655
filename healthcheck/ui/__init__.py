"""Streamlit pages (one module per page) over the core; `router.main()` is the whole app."""
