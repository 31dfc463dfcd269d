"""Writes the columnar fixtures that other tools produced, for the readers' tests:

  pyarrow  -> Parquet (snappy, zstd; ms and us timestamps) and ORC (NONE/ZLIB/SNAPPY/ZSTD, integer RLE v2
              with all four sub-encodings, DICTIONARY_V2 strings, TIMESTAMP and TIMESTAMP_INSTANT)
  fastavro -> Avro object container files (deflate, null, snappy; an older schema for evolution)

fixture-rows.json holds the rows every file carries, in the exact encoding of
test/columnar/py/read_columnar.py; each file is read back with its own tool and checked against them. Deterministic (fixed seed); run from anywhere with the venv:

  TZ=UTC packages/io-formats/.venv/bin/python packages/io-formats/scripts/make-fixtures.py
"""
import datetime
import json
import os
import random
import sys

import fastavro
import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "columnar")
sys.path.insert(0, os.path.join(HERE, "..", "test", "columnar", "py"))
import read_columnar  # noqa: E402

ROWS = 600
UTC = datetime.timezone.utc


def columns():
    rng = random.Random(20261128)
    categories = ["abend", "jcl", "db2", "cics", "vsam", "ims"]
    texts = ["", "S0C7 data exception", "😀 astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "IEF450I JOB01 ABEND=S322", "ß ǅ"]
    start = datetime.datetime(1900, 1, 1, tzinfo=UTC)
    span_ms = int((datetime.datetime(2200, 1, 1, tzinfo=UTC) - start).total_seconds() * 1000)
    ats = []
    for i in range(ROWS):
        ms = rng.randrange(span_ms)
        at = start + datetime.timedelta(milliseconds=ms)
        # ORC readers cannot represent (-1 s, 0) with a fraction (ORC-763): keep out of it.
        if datetime.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC) < at < datetime.datetime(1970, 1, 1, tzinfo=UTC):
            at = start
        ats.append(at)
    return {
        "id": [f"fx-{i:05d}" for i in range(ROWS)],
        "category": [categories[(i * 7) % len(categories)] for i in range(ROWS)],
        "note": [None if i % 4 == 0 else texts[i % len(texts)] for i in range(ROWS)],
        "seq": [100 + 3 * i for i in range(ROWS)],  # delta
        "rep": [(i // 7) * 1000 for i in range(ROWS)],  # short repeats
        "rnd": [rng.randrange(-(2**40), 2**40) for _ in range(ROWS)],  # direct
        "patched": [10**12 if i % 40 == 0 else rng.randrange(0, 100) for i in range(ROWS)],  # patched base
        "score": [None if i % 5 == 0 else rng.uniform(-1e6, 1e6) for i in range(ROWS)],
        "flag": [None if i % 6 == 0 else i % 2 == 0 for i in range(ROWS)],
        "at": ats,
    }


def table(ts_type):
    c = columns()
    return pa.table(
        {
            "id": pa.array(c["id"], pa.string()),
            "category": pa.array(c["category"], pa.string()),
            "note": pa.array(c["note"], pa.string()),
            "seq": pa.array(c["seq"], pa.int64()),
            "rep": pa.array(c["rep"], pa.int64()),
            "rnd": pa.array(c["rnd"], pa.int64()),
            "patched": pa.array(c["patched"], pa.int64()),
            "score": pa.array(c["score"], pa.float64()),
            "flag": pa.array(c["flag"], pa.bool_()),
            "at": pa.array(c["at"], pa.timestamp("ms", tz="UTC")).cast(ts_type),
        }
    )


def write_expected():
    """The rows every fixture holds, written from the generator itself (not read back through a tool)."""
    c = columns()
    names = list(c)
    rows = [[read_columnar.encode(c[name][i]) for name in names] for i in range(ROWS)]
    with open(os.path.join(OUT, "fixture-rows.json"), "w") as f:
        json.dump({"columns": names, "rows": rows}, f)


def expected(fmt, path):
    """Checks that the tool reads back what the generator put in (the fixture is only as good as that)."""
    import contextlib
    import io

    buf = io.StringIO()
    argv = sys.argv
    sys.argv = ["read_columnar.py", fmt, path]
    try:
        with contextlib.redirect_stdout(buf):
            read_columnar.main()
    finally:
        sys.argv = argv
    read = json.loads(buf.getvalue())
    c = columns()
    names = [f["name"] for f in read["schema"]]
    for i, row in enumerate(read["rows"]):
        for name, value in zip(names, row):
            if name in c and value != read_columnar.encode(c[name][i]):
                raise SystemExit(f"{path}: row {i} column {name}: {value} != {c[name][i]!r}")


def main():
    os.makedirs(OUT, exist_ok=True)
    write_expected()
    # Parquet: dictionary pages, several row groups.
    for name, kwargs in {
        "pyarrow-snappy.parquet": {"compression": "snappy"},
        "pyarrow-zstd.parquet": {"compression": "zstd"},
    }.items():
        path = os.path.join(OUT, name)
        pq.write_table(table(pa.timestamp("ms", tz="UTC")), path, row_group_size=250, **kwargs)
        expected("parquet", path)
    path = os.path.join(OUT, "pyarrow-micros.parquet")
    pq.write_table(table(pa.timestamp("us", tz="UTC")), path, row_group_size=1000)
    expected("parquet", path)

    # ORC: RLE v2 (file version 0.12), dictionary strings, every codec the reader takes.
    for codec in ["uncompressed", "zlib", "snappy", "zstd"]:
        path = os.path.join(OUT, f"pyarrow-{codec}.orc")
        orc.write_table(
            table(pa.timestamp("ms")),
            path,
            compression=codec,
            dictionary_key_size_threshold=1.0,
            stripe_size=8 * 1024,
            batch_size=128,
        )
        expected("orc", path)
    path = os.path.join(OUT, "pyarrow-instant.orc")
    orc.write_table(table(pa.timestamp("ms", tz="UTC")), path, compression="zlib")
    expected("orc", path)

    # Avro: the current schema (deflate, null codec) and an older one for reader-schema evolution.
    c = columns()
    ts = {"type": "long", "logicalType": "timestamp-millis"}
    current = {
        "type": "record",
        "name": "Fixture",
        "namespace": "org.example.other",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "category", "type": "string"},
            {"name": "note", "type": ["null", "string"], "default": None},
            {"name": "seq", "type": "long"},
            {"name": "rep", "type": "long"},
            {"name": "rnd", "type": "long"},
            {"name": "patched", "type": "long"},
            {"name": "score", "type": ["null", "double"], "default": None},
            {"name": "flag", "type": ["null", "boolean"], "default": None},
            {"name": "at", "type": ts},
        ],
    }
    records = [{k: c[k][i] for k in c} for i in range(ROWS)]
    for codec in ["deflate", "null", "snappy"]:
        path = os.path.join(OUT, f"fastavro-{codec}.avro")
        with open(path, "wb") as f:
            fastavro.writer(f, fastavro.parse_schema(current), records, codec=codec, sync_interval=4096)
        expected("avro", path)
    older = dict(current)
    older["fields"] = [f for f in current["fields"] if f["name"] not in ("note", "flag")] + [
        {"name": "legacy_code", "type": "int"}
    ]
    path = os.path.join(OUT, "fastavro-older-schema.avro")
    with open(path, "wb") as f:
        fastavro.writer(
            f,
            fastavro.parse_schema(older),
            [{**{k: r[k] for k in r if k not in ("note", "flag")}, "legacy_code": 7} for r in records],
            codec="deflate",
        )
    expected("avro", path)


if __name__ == "__main__":
    main()
