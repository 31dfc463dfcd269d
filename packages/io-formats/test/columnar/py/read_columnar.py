"""Reads a Parquet, ORC or Avro file with an independent reader (pyarrow or fastavro) and prints its
schema and rows as JSON on stdout, in an encoding that keeps every value exact:

  null -> null, bool -> bool, str -> str, int -> {"i": "<decimal>"}, float -> {"f": "<hex of IEEE bits>"},
  timestamp -> {"ms": <epoch milliseconds>} (or {"us": ...} when not a whole millisecond),
  bytes -> {"b": "<hex>"}.

usage: read_columnar.py parquet|orc|avro FILE
       read_columnar.py write-binary parquet|orc|avro FILE   (writes BINARY_ROWS, an id and a binary column)
"""
import datetime
import json
import struct
import sys

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


# Rows of the file write-binary makes: (id, bytes or None), as the tests expect them back.
BINARY_ROWS = [
    ("empty", b""),
    ("null", None),
    ("hello", b"hello"),
    ("all-bytes", bytes(range(256))),
    ("large", bytes(i * 7 % 251 for i in range(300_000))),
]


def encode(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"b": bytes(value).hex()}
    if isinstance(value, int):
        return {"i": str(value)}
    if isinstance(value, float):
        return {"f": struct.pack("<d", value).hex()}
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        micros = (value - EPOCH) // datetime.timedelta(microseconds=1)
        return {"ms": micros // 1000} if micros % 1000 == 0 else {"us": micros}
    raise TypeError(f"unexpected value {value!r}")


def read_arrow(table):
    import pyarrow as pa

    schema = [
        {"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in table.schema
    ]
    columns = []
    for i, field in enumerate(table.schema):
        column = table.column(i)
        if pa.types.is_timestamp(field.type):
            # Raw integers in the column's unit: datetime cannot hold every instant (years past 9999).
            unit = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": None}[field.type.unit]
            raw = column.cast(pa.int64()).to_pylist()
            if unit is None:
                values = [None if v is None else ({"ms": v // 1_000_000} if v % 1_000_000 == 0 else {"ns": v}) for v in raw]
            else:
                values = [None if v is None else ({"ms": v * unit // 1000} if (v * unit) % 1000 == 0 else {"us": v * unit}) for v in raw]
        else:
            values = [encode(v) for v in column.to_pylist()]
        columns.append(values)
    rows = [list(row) for row in zip(*columns)] if columns else []
    return {"schema": schema, "rows": rows}


def write_binary(fmt, path):
    ids = [r[0] for r in BINARY_ROWS]
    data = [r[1] for r in BINARY_ROWS]
    if fmt == "avro":
        import fastavro

        schema = {
            "type": "record",
            "name": "things",
            "fields": [{"name": "id", "type": "string"}, {"name": "data", "type": ["null", "bytes"]}],
        }
        with open(path, "wb") as fo:
            fastavro.writer(fo, schema, [{"id": i, "data": d} for i, d in zip(ids, data)], codec="deflate")
        return
    import pyarrow as pa

    table = pa.table(
        {"id": pa.array(ids, pa.string()), "data": pa.array(data, pa.binary())},
        schema=pa.schema([pa.field("id", pa.string(), nullable=False), pa.field("data", pa.binary())]),
    )
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, path, compression="snappy")
    elif fmt == "orc":
        import pyarrow.orc as orc

        orc.write_table(table, path, compression="zlib")
    else:
        raise SystemExit(f"unknown format {fmt}")


def main():
    if sys.argv[1] == "write-binary":
        write_binary(sys.argv[2], sys.argv[3])
        return
    fmt, path = sys.argv[1], sys.argv[2]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        out = read_arrow(pq.read_table(path))
        out["row_groups"] = meta.num_row_groups
    elif fmt == "orc":
        import pyarrow.orc as orc

        f = orc.ORCFile(path)
        out = read_arrow(f.read())
        out["stripes"] = f.nstripes
        out["compression"] = str(f.compression)
    elif fmt == "avro":
        import fastavro

        with open(path, "rb") as fo:
            reader = fastavro.reader(fo)
            schema = reader.writer_schema
            out = {
                "schema": [{"name": f["name"], "type": json.dumps(f["type"])} for f in schema["fields"]],
                "codec": reader.codec,
                "rows": [[encode(rec[f["name"]]) for f in schema["fields"]] for rec in reader],
            }
    else:
        raise SystemExit(f"unknown format {fmt}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
