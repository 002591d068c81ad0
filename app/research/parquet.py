"""Each table of the package also as Parquet, made from its CSV in bounded batches.

CSV stays the canonical format; the Parquet file beside it has the same columns and the
same cells, every column a string (a numeric column holds missing-value codes such as
``NV``, which no numeric Parquet type can), so a reader types it by the same Table Schema
in ``datapackage.json``. The CSV is read back a block at a time by pyarrow's streaming
reader, so memory stays flat however long the table is.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

MEDIA_TYPE = "application/vnd.apache.parquet"
#: Bytes of CSV parsed at a time.
_BLOCK = 4 << 20


def from_csv(csv_path: Path, parquet_path: Path, header: list[str]) -> None:
    """Write *csv_path* (with *header* as its first line) to *parquet_path*."""
    schema = pa.schema([(name, pa.string()) for name in header])
    reader = pa_csv.open_csv(
        csv_path,
        read_options=pa_csv.ReadOptions(block_size=_BLOCK, use_threads=False),
        # Free text may hold line breaks inside its quotes.
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    with pq.ParquetWriter(parquet_path, schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
