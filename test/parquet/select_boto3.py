#!/usr/bin/env python3
"""S3 Select through boto3's select_object_content and its event-stream parser.

Run by TestParquet against a real anode process; it can also be run by hand:

    ANODE_ENDPOINT=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
    FIXTURES=dir BUCKET=parquet-test python3 select_boto3.py

FIXTURES holds fixture.parquet (snappy, with nulls) and fixture.csv (with a
header line), the same 200 rows; the JSON and BZIP2 variants are made here.
Exits non-zero on the first failed check.
"""
import bz2
import csv
import io
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["ANODE_ENDPOINT"]
fixtures = os.environ["FIXTURES"]
bucket = os.environ.get("BUCKET", "parquet-test")

s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)

WANT_20_22 = [
    {"id": 20, "name": "n20", "qty": 20, "note": None},
    {"id": 21, "name": "n21", "qty": None, "note": "note21"},
    {"id": 22, "name": "n22", "qty": 22, "note": None},
]

checks = 0


def check(cond, what):
    global checks
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    checks += 1


def select(key, sql, inp, out):
    """Runs a query and returns (records bytes, stats details, saw End)."""
    resp = s3.select_object_content(
        Bucket=bucket, Key=key, Expression=sql, ExpressionType="SQL",
        InputSerialization=inp, OutputSerialization=out,
    )
    records, stats, end = b"", None, False
    for ev in resp["Payload"]:
        if "Records" in ev:
            records += ev["Records"]["Payload"]
        elif "Stats" in ev:
            stats = ev["Stats"]["Details"]
        elif "End" in ev:
            end = True
    return records, stats, end


def json_records(b):
    return [json.loads(line) for line in b.decode().splitlines() if line]


def put(key, data):
    s3.put_object(Bucket=bucket, Key=key, Body=data)


with open(os.path.join(fixtures, "fixture.parquet"), "rb") as f:
    parquet = f.read()
with open(os.path.join(fixtures, "fixture.csv"), "rb") as f:
    csv_data = f.read()
rows = list(csv.DictReader(io.StringIO(csv_data.decode())))
doc = {"rows": [
    {"id": int(r["id"]), "name": r["name"], "price": float(r["price"]),
     "qty": int(r["qty"]) if r["qty"] else None, "note": r["note"] or None}
    for r in rows
]}

put("boto3/fixture.parquet", parquet)
put("boto3/fixture.csv.bz2", bz2.compress(csv_data))
put("boto3/fixture.json", json.dumps(doc, indent=2).encode())
put("boto3/fixture.jsonl.bz2", bz2.compress("".join(json.dumps(r) + "\n" for r in doc["rows"]).encode()))

# Parquet, JSON output, nulls.
rec, stats, end = select("boto3/fixture.parquet",
                         "SELECT s.id, s.name, s.qty, s.note FROM S3Object s WHERE s.id BETWEEN 20 AND 22",
                         {"Parquet": {}}, {"JSON": {}})
check(end, "parquet: End event")
check(json_records(rec) == WANT_20_22, "parquet records: %r" % rec)
check(0 < stats["BytesScanned"] < len(parquet), "parquet BytesScanned %r of %d" % (stats, len(parquet)))

# Parquet, CSV output of an aggregate.
rec, _, end = select("boto3/fixture.parquet", "SELECT COUNT(*) FROM S3Object WHERE qty IS NULL",
                     {"Parquet": {}}, {"CSV": {}})
check(end and rec == b"%d\n" % sum(1 for r in rows if not r["qty"]), "parquet count: %r" % rec)

# CSV compressed with BZIP2, header line used for names.
rec, stats, end = select("boto3/fixture.csv.bz2",
                         "SELECT s.name, s.note FROM S3Object s WHERE CAST(s.id AS INT) IN (21, 24)",
                         {"CSV": {"FileHeaderInfo": "USE"}, "CompressionType": "BZIP2"}, {"CSV": {}})
check(end and rec == b"n21,note21\nn24,note24\n", "csv bzip2 records: %r" % rec)
check(stats["BytesProcessed"] == len(csv_data), "csv bzip2 BytesProcessed %r, want %d" % (stats, len(csv_data)))

# JSON DOCUMENT with a FROM path.
rec, _, end = select("boto3/fixture.json",
                     "SELECT s.id, s.name, s.qty, s.note FROM S3Object[*].rows[*] s WHERE s.id BETWEEN 20 AND 22",
                     {"JSON": {"Type": "DOCUMENT"}}, {"JSON": {}})
check(end and json_records(rec) == WANT_20_22, "json document records: %r" % rec)

# JSON LINES compressed with BZIP2, CSV output.
rec, _, end = select("boto3/fixture.jsonl.bz2", "SELECT s.name FROM S3Object s WHERE s.price > 98",
                     {"JSON": {"Type": "LINES"}, "CompressionType": "BZIP2"}, {"CSV": {}})
check(end and rec == b"n197\nn198\nn199\n", "json lines bzip2 records: %r" % rec)

# A bad query is an S3 error.
try:
    select("boto3/fixture.parquet", "SELECT FROM S3Object", {"Parquet": {}}, {"JSON": {}})
    check(False, "a bad query succeeded")
except ClientError as e:
    check(e.response["Error"]["Code"] == "ParseEmptySelect", "bad query error %r" % e.response["Error"])

# Footer range reads, as Parquet readers start.
size = len(parquet)
got = s3.get_object(Bucket=bucket, Key="boto3/fixture.parquet", Range="bytes=-8")["Body"].read()
check(got == parquet[-8:], "GET bytes=-8")
footer = int.from_bytes(parquet[-8:-4], "little") + 8
got = s3.get_object(Bucket=bucket, Key="boto3/fixture.parquet",
                    Range="bytes=%d-%d" % (size - footer, size - 1))["Body"].read()
check(got == parquet[-footer:], "GET of the footer range")

print("%d passed, 0 failed" % checks)
