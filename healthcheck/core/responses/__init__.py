"""Response tables: CSV import (all problems at once, all-or-nothing), template and safe export.

- `columns`: the canonical table's columns (its shape is described there), cell limits;
- `csvfile`: a file's bytes -> text -> CSV records, refusing what is not a responses CSV;
- `csvreader`: `read_responses`, a responses CSV checked cell by cell into the canonical table;
- `records`: checks of answer records (the app's and the store's shape);
- `table`: the canonical table from records and back, split by partnership, template and export;
- `workbook`: XLSX files, their zip directory checked against the limits before reading;
- `forms`: Microsoft / Google Forms exports and score JSON files.
"""

from healthcheck.core.responses.asked import reading_notes
from healthcheck.core.responses.columns import (
    COMMENT_SUFFIX,
    DONT_KNOW,
    KIND_COLUMN,
    MAX_NAME,
    MAX_PROBLEMS,
    MAX_TEXT,
    META_COLUMNS,
    REQUIRED_COLUMNS,
    columns_of,
    comment_column,
    comment_items,
)
from healthcheck.core.responses.csvfile import DEFAULT_NAME, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS
from healthcheck.core.responses.csvreader import read_responses
from healthcheck.core.responses.records import record_problems
from healthcheck.core.responses.table import (
    export_csv,
    export_table,
    frame_from_records,
    records_from_frame,
    split_partnerships,
    template_csv,
)

__all__ = [
    "COMMENT_SUFFIX",
    "DEFAULT_NAME",
    "DONT_KNOW",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_NAME",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "MAX_TEXT",
    "KIND_COLUMN",
    "META_COLUMNS",
    "REQUIRED_COLUMNS",
    "columns_of",
    "comment_column",
    "comment_items",
    "export_csv",
    "export_table",
    "frame_from_records",
    "read_responses",
    "reading_notes",
    "record_problems",
    "records_from_frame",
    "split_partnerships",
    "template_csv",
]
