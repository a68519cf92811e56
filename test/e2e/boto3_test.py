#!/usr/bin/env python3
"""End-to-end checks of a running Anode with boto3, the AWS SDK for Python.

Environment:
  ENDPOINT               S3 endpoint of the server (default http://localhost:8080)
  AWS_ACCESS_KEY_ID      access key (default minioadmin)
  AWS_SECRET_ACCESS_KEY  secret key (default minioadmin)

Every test works in buckets of its own, named boto3-<random>, and removes
them when it ends. Run: python3 boto3_test.py [-v] [TestClass.test_name ...]
"""

import base64
import datetime
import hashlib
import time
import os
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zlib

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("ENDPOINT", "http://localhost:8080")
ACCESS_KEY = os.environ.get("AWS_ACCESS_KEY_ID", "minioadmin")
SECRET_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "minioadmin")
REGION = "us-east-1"


def client(access_key=ACCESS_KEY, secret_key=SECRET_KEY, **config):
    """Returns a path-style SigV4 client that does not retry, so that a test
    sees the server's first answer."""
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            retries={"total_max_attempts": 1},
            **config,
        ),
    )


def md5_etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def keys_of(listing):
    return [o["Key"] for o in listing.get("Contents", [])]


def prefixes_of(listing):
    return [p["Prefix"] for p in listing.get("CommonPrefixes", [])]


def http(method, url, data=None, headers=None):
    """Sends a plain HTTP request and returns (status, headers, body), also
    for error statuses."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def xml_error_code(body):
    """Returns the Code of an S3 XML error document."""
    return ET.fromstring(body).findtext("Code")


class S3Test(unittest.TestCase):
    """Base class: a client and a fresh bucket per test."""

    @classmethod
    def setUpClass(cls):
        cls.s3 = client()

    def setUp(self):
        self.bucket = self.new_bucket()

    def new_bucket(self):
        name = "boto3-" + uuid.uuid4().hex[:16]
        resp = self.s3.create_bucket(Bucket=name)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.addCleanup(self.remove_bucket, name)
        return name

    def remove_bucket(self, name):
        listing = self.s3.list_objects_v2(Bucket=name)
        for key in keys_of(listing):
            self.s3.delete_object(Bucket=name, Key=key)
        self.s3.delete_bucket(Bucket=name)

    def put(self, key, body, **kw):
        return self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, **kw)

    def get_body(self, key, bucket=None, **kw):
        resp = self.s3.get_object(Bucket=bucket or self.bucket, Key=key, **kw)
        return resp["Body"].read()

    def assertError(self, code, status, fn, *args, **kw):
        """Asserts that fn fails with the S3 error code and HTTP status."""
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kw)
        resp = cm.exception.response
        self.assertEqual(resp["Error"]["Code"], code, resp["Error"])
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], status, resp["Error"])
        return resp


class TestObjects(S3Test):
    def test_put_get(self):
        body = b"Hello, Anode!\n"
        put = self.put("hello.txt", body)
        self.assertEqual(put["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(put["ETag"], md5_etag(body))
        # boto3 sent x-amz-checksum-crc32: S3 returns the checksum it verified.
        self.assertEqual(put["ChecksumCRC32"], crc32_b64(body))

        got = self.s3.get_object(Bucket=self.bucket, Key="hello.txt")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ContentLength"], len(body))
        self.assertEqual(got["ETag"], md5_etag(body))

    def test_put_without_checksum(self):
        s3 = client(request_checksum_calculation="when_required", response_checksum_validation="when_required")
        body = b"no checksum header"
        put = s3.put_object(Bucket=self.bucket, Key="plain", Body=body)
        self.assertEqual(put["ETag"], md5_etag(body))
        self.assertNotIn("ChecksumCRC32", put)
        self.assertEqual(self.get_body("plain"), body)

    def test_overwrite(self):
        self.put("k", b"first")
        self.put("k", b"second version")
        self.assertEqual(self.get_body("k"), b"second version")
        self.assertEqual(keys_of(self.s3.list_objects_v2(Bucket=self.bucket)), ["k"])

    def test_empty_object(self):
        put = self.put("empty", b"")
        self.assertEqual(put["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')
        head = self.s3.head_object(Bucket=self.bucket, Key="empty")
        self.assertEqual(head["ContentLength"], 0)
        self.assertEqual(self.get_body("empty"), b"")

    def test_object_larger_than_a_chunk(self):
        # 5 MiB is above the default 4 MiB chunk size: the object spans two chunks.
        body = os.urandom(5 * 1024 * 1024)
        put = self.put("big", body)
        self.assertEqual(put["ETag"], md5_etag(body))
        self.assertEqual(self.get_body("big"), body)
        edge = 4 * 1024 * 1024
        got = self.s3.get_object(Bucket=self.bucket, Key="big", Range="bytes=%d-%d" % (edge - 5, edge + 4))
        self.assertEqual(got["Body"].read(), body[edge - 5 : edge + 5])
        self.assertEqual(got["ContentRange"], "bytes %d-%d/%d" % (edge - 5, edge + 4, len(body)))

    def test_metadata_and_content_type(self):
        self.put(
            "meta.txt",
            b"{}",
            ContentType="application/json; charset=utf-8",
            Metadata={"color": "blue", "Mixed-Case": "Some Value"},
            CacheControl="max-age=60",
            ContentDisposition='attachment; filename="x.json"',
        )
        head = self.s3.head_object(Bucket=self.bucket, Key="meta.txt")
        # S3 stores user metadata names in lower case.
        self.assertEqual(head["Metadata"], {"color": "blue", "mixed-case": "Some Value"})
        self.assertEqual(head["ContentType"], "application/json; charset=utf-8")
        self.assertEqual(head["CacheControl"], "max-age=60")
        self.assertEqual(head["ContentDisposition"], 'attachment; filename="x.json"')
        self.assertEqual(head["ContentLength"], 2)
        got = self.s3.get_object(Bucket=self.bucket, Key="meta.txt")
        self.assertEqual(got["Metadata"], {"color": "blue", "mixed-case": "Some Value"})
        self.assertEqual(got["ContentType"], "application/json; charset=utf-8")

    def test_special_keys(self):
        keys = [
            "with space",
            "a+b",
            "100%",
            "%2F not a slash",
            "caf\u00e9/\u65e5\u672c\u8a9e \U0001f600",
            "../escape",
            "dir/../x",
            "q?x=1&y=#frag",
        ]
        for i, key in enumerate(keys):
            body = ("body %d" % i).encode()
            self.put(key, body)
            self.assertEqual(self.get_body(key), body, key)
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
            self.assertEqual(head["ContentLength"], len(body), key)
        # S3 lists keys in UTF-8 byte order, which is code point order.
        want = sorted(keys)
        self.assertEqual(keys_of(self.s3.list_objects_v2(Bucket=self.bucket)), want)
        self.assertEqual(keys_of(self.s3.list_objects(Bucket=self.bucket)), want)
        self.assertEqual(keys_of(self.s3.list_objects_v2(Bucket=self.bucket, Prefix="caf\u00e9/")), [keys[4]])
        # A key is a name, not a path: "a/../x" is not "x".
        self.assertError("NoSuchKey", 404, self.s3.get_object, Bucket=self.bucket, Key="x")


class TestList(S3Test):
    KEYS = ["a/1", "a/2", "a/b/3", "b/1", "c"]

    def put_keys(self, keys):
        for key in keys:
            self.put(key, key.encode())

    def test_list_v2(self):
        self.put_keys(self.KEYS)
        all_ = self.s3.list_objects_v2(Bucket=self.bucket)
        self.assertEqual(keys_of(all_), self.KEYS)
        self.assertEqual(all_["KeyCount"], 5)
        self.assertFalse(all_["IsTruncated"])
        self.assertEqual([o["Size"] for o in all_["Contents"]], [len(k) for k in self.KEYS])
        self.assertEqual([o["ETag"] for o in all_["Contents"]], [md5_etag(k.encode()) for k in self.KEYS])

        prefix = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="a/")
        self.assertEqual(keys_of(prefix), ["a/1", "a/2", "a/b/3"])
        self.assertEqual(prefix["Prefix"], "a/")

        delim = self.s3.list_objects_v2(Bucket=self.bucket, Delimiter="/")
        self.assertEqual(keys_of(delim), ["c"])
        self.assertEqual(prefixes_of(delim), ["a/", "b/"])
        self.assertEqual(delim["KeyCount"], 3)

        both = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="a/", Delimiter="/")
        self.assertEqual(keys_of(both), ["a/1", "a/2"])
        self.assertEqual(prefixes_of(both), ["a/b/"])

        after = self.s3.list_objects_v2(Bucket=self.bucket, StartAfter="a/b/3")
        self.assertEqual(keys_of(after), ["b/1", "c"])

        none = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="zzz")
        self.assertEqual(keys_of(none), [])
        self.assertEqual(none["KeyCount"], 0)

    def test_list_v1(self):
        self.put_keys(self.KEYS)
        all_ = self.s3.list_objects(Bucket=self.bucket)
        self.assertEqual(keys_of(all_), self.KEYS)
        self.assertFalse(all_["IsTruncated"])

        self.assertEqual(keys_of(self.s3.list_objects(Bucket=self.bucket, Prefix="a/")), ["a/1", "a/2", "a/b/3"])

        delim = self.s3.list_objects(Bucket=self.bucket, Delimiter="/")
        self.assertEqual(keys_of(delim), ["c"])
        self.assertEqual(prefixes_of(delim), ["a/", "b/"])

        both = self.s3.list_objects(Bucket=self.bucket, Prefix="a/", Delimiter="/")
        self.assertEqual(keys_of(both), ["a/1", "a/2"])
        self.assertEqual(prefixes_of(both), ["a/b/"])

        self.assertEqual(keys_of(self.s3.list_objects(Bucket=self.bucket, Marker="a/b/3")), ["b/1", "c"])

    def test_pagination(self):
        keys = ["k%d" % i for i in range(7)]
        self.put_keys(keys)

        pages, truncated, counts = [], [], []
        kw = {"Bucket": self.bucket, "MaxKeys": 2}
        while True:
            page = self.s3.list_objects_v2(**kw)
            self.assertEqual(page["MaxKeys"], 2)
            pages.append(keys_of(page))
            truncated.append(page["IsTruncated"])
            counts.append(page["KeyCount"])
            if not page["IsTruncated"]:
                self.assertNotIn("NextContinuationToken", page)
                break
            kw["ContinuationToken"] = page["NextContinuationToken"]
            self.assertLessEqual(len(pages), 4, "too many pages")
        self.assertEqual(pages, [["k0", "k1"], ["k2", "k3"], ["k4", "k5"], ["k6"]])
        self.assertEqual(truncated, [True, True, True, False])
        self.assertEqual(counts, [2, 2, 2, 1])

        pages = []
        kw = {"Bucket": self.bucket, "MaxKeys": 2}
        while True:
            page = self.s3.list_objects(**kw)
            pages.append(keys_of(page))
            if not page["IsTruncated"]:
                break
            # Without a delimiter S3 sends no NextMarker: the marker is the last key.
            kw["Marker"] = pages[-1][-1]
            self.assertLessEqual(len(pages), 4, "too many pages")
        self.assertEqual(pages, [["k0", "k1"], ["k2", "k3"], ["k4", "k5"], ["k6"]])

        paginator = self.s3.get_paginator("list_objects_v2")
        got = [keys_of(p) for p in paginator.paginate(Bucket=self.bucket, PaginationConfig={"PageSize": 3})]
        self.assertEqual(got, [["k0", "k1", "k2"], ["k3", "k4", "k5"], ["k6"]])

    def test_pagination_with_delimiter_v2(self):
        self.put_keys(["a/1", "a/2", "b/1", "c", "d/1", "e"])
        pages = []
        kw = {"Bucket": self.bucket, "MaxKeys": 2, "Delimiter": "/"}
        while True:
            page = self.s3.list_objects_v2(**kw)
            pages.append(sorted(keys_of(page) + prefixes_of(page)))
            if not page["IsTruncated"]:
                break
            kw["ContinuationToken"] = page["NextContinuationToken"]
            self.assertLessEqual(len(pages), 3, "too many pages")
        # The token after a common prefix resumes after every key under it.
        self.assertEqual(pages, [["a/", "b/"], ["c", "d/"], ["e"]])

    def test_pagination_with_delimiter_v1(self):
        self.put_keys(["a/1", "a/2", "b/1", "c", "d/1", "e"])
        pages = []
        kw = {"Bucket": self.bucket, "MaxKeys": 2, "Delimiter": "/"}
        while True:
            page = self.s3.list_objects(**kw)
            pages.append(sorted(keys_of(page) + prefixes_of(page)))
            if not page["IsTruncated"]:
                break
            kw["Marker"] = page["NextMarker"]
            self.assertLessEqual(len(pages), 3, "too many pages")
        self.assertEqual(pages, [["a/", "b/"], ["c", "d/"], ["e"]])

    def test_list_buckets(self):
        other = self.new_bucket()
        resp = self.s3.list_buckets()
        names = [b["Name"] for b in resp["Buckets"]]
        self.assertIn(self.bucket, names)
        self.assertIn(other, names)
        self.assertEqual(names, sorted(names))
        created = next(b["CreationDate"] for b in resp["Buckets"] if b["Name"] == other)
        age = datetime.datetime.now(datetime.timezone.utc) - created
        self.assertLess(abs(age.total_seconds()), 300, created)


class TestCopy(S3Test):
    def setUp(self):
        super().setUp()
        self.body = b"copy me"
        self.put("src", self.body, ContentType="text/plain", Metadata={"a": "1"})

    def test_copy_keeps_metadata(self):
        resp = self.s3.copy_object(Bucket=self.bucket, Key="dst", CopySource={"Bucket": self.bucket, "Key": "src"})
        self.assertEqual(resp["CopyObjectResult"]["ETag"], md5_etag(self.body))
        head = self.s3.head_object(Bucket=self.bucket, Key="dst")
        self.assertEqual(head["Metadata"], {"a": "1"})
        self.assertEqual(head["ContentType"], "text/plain")
        self.assertEqual(head["ETag"], md5_etag(self.body))
        self.assertEqual(self.get_body("dst"), self.body)

    def test_copy_explicit_copy_directive(self):
        self.s3.copy_object(
            Bucket=self.bucket,
            Key="dst",
            CopySource={"Bucket": self.bucket, "Key": "src"},
            MetadataDirective="COPY",
            Metadata={"ignored": "yes"},
        )
        head = self.s3.head_object(Bucket=self.bucket, Key="dst")
        self.assertEqual(head["Metadata"], {"a": "1"})

    def test_copy_replace_metadata(self):
        self.s3.copy_object(
            Bucket=self.bucket,
            Key="dst",
            CopySource={"Bucket": self.bucket, "Key": "src"},
            MetadataDirective="REPLACE",
            Metadata={"b": "2"},
            ContentType="application/json",
        )
        head = self.s3.head_object(Bucket=self.bucket, Key="dst")
        self.assertEqual(head["Metadata"], {"b": "2"})
        self.assertEqual(head["ContentType"], "application/json")
        self.assertEqual(self.get_body("dst"), self.body)
        # The source is unchanged.
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="src")["Metadata"], {"a": "1"})

    def test_copy_onto_itself(self):
        self.s3.copy_object(
            Bucket=self.bucket,
            Key="src",
            CopySource={"Bucket": self.bucket, "Key": "src"},
            MetadataDirective="REPLACE",
            Metadata={"c": "3"},
        )
        head = self.s3.head_object(Bucket=self.bucket, Key="src")
        self.assertEqual(head["Metadata"], {"c": "3"})
        self.assertEqual(self.get_body("src"), self.body)
        # Without REPLACE a copy onto itself would change nothing: S3 refuses it.
        self.assertError(
            "InvalidRequest", 400, self.s3.copy_object,
            Bucket=self.bucket, Key="src", CopySource={"Bucket": self.bucket, "Key": "src"},
        )

    def test_copy_between_buckets(self):
        other = self.new_bucket()
        self.s3.copy_object(Bucket=other, Key="copied/src", CopySource={"Bucket": self.bucket, "Key": "src"})
        self.assertEqual(self.get_body("copied/src", bucket=other), self.body)
        self.assertEqual(self.s3.head_object(Bucket=other, Key="copied/src")["Metadata"], {"a": "1"})

    def test_copy_missing_source(self):
        self.assertError(
            "NoSuchKey", 404, self.s3.copy_object,
            Bucket=self.bucket, Key="dst", CopySource={"Bucket": self.bucket, "Key": "missing"},
        )


class TestDelete(S3Test):
    def test_delete_object(self):
        self.put("k", b"v")
        resp = self.s3.delete_object(Bucket=self.bucket, Key="k")
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertError("NoSuchKey", 404, self.s3.get_object, Bucket=self.bucket, Key="k")
        # Deleting what does not exist succeeds, as in S3.
        resp = self.s3.delete_object(Bucket=self.bucket, Key="k")
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 204)

    def test_delete_objects(self):
        for key in ["a", "b", "c", "keep"]:
            self.put(key, key.encode())
        resp = self.s3.delete_objects(
            Bucket=self.bucket,
            Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "missing"}]},
        )
        self.assertEqual(sorted(d["Key"] for d in resp["Deleted"]), ["a", "b", "missing"])
        self.assertNotIn("Errors", resp)
        self.assertEqual(keys_of(self.s3.list_objects_v2(Bucket=self.bucket)), ["c", "keep"])

        quiet = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
        self.assertNotIn("Deleted", quiet)
        self.assertNotIn("Errors", quiet)
        self.assertEqual(keys_of(self.s3.list_objects_v2(Bucket=self.bucket)), ["keep"])


class TestRanges(S3Test):
    BODY = b"abcdefghij"

    def setUp(self):
        super().setUp()
        self.put("r", self.BODY)

    def check(self, rng, want, content_range):
        resp = self.s3.get_object(Bucket=self.bucket, Key="r", Range=rng)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 206, rng)
        self.assertEqual(resp["Body"].read(), want, rng)
        self.assertEqual(resp["ContentRange"], content_range, rng)
        self.assertEqual(resp["ContentLength"], len(want), rng)

    def test_first_bytes(self):
        self.check("bytes=0-4", b"abcde", "bytes 0-4/10")

    def test_open_end(self):
        self.check("bytes=5-", b"fghij", "bytes 5-9/10")

    def test_suffix(self):
        self.check("bytes=-3", b"hij", "bytes 7-9/10")

    def test_end_past_size(self):
        self.check("bytes=8-100", b"ij", "bytes 8-9/10")

    def test_unsatisfiable(self):
        self.assertError("InvalidRange", 416, self.s3.get_object, Bucket=self.bucket, Key="r", Range="bytes=10-20")


class TestConditional(S3Test):
    def setUp(self):
        super().setUp()
        self.etag = self.put("c", b"conditional")["ETag"]

    def test_if_none_match(self):
        # A 304 has no body: botocore reports the status as the code.
        self.assertError("304", 304, self.s3.get_object, Bucket=self.bucket, Key="c", IfNoneMatch=self.etag)
        got = self.s3.get_object(Bucket=self.bucket, Key="c", IfNoneMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(got["Body"].read(), b"conditional")

    def test_if_match(self):
        self.assertError(
            "PreconditionFailed", 412, self.s3.get_object,
            Bucket=self.bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"',
        )
        got = self.s3.get_object(Bucket=self.bucket, Key="c", IfMatch=self.etag)
        self.assertEqual(got["Body"].read(), b"conditional")

    def test_if_modified_since(self):
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
        self.assertError("304", 304, self.s3.get_object, Bucket=self.bucket, Key="c", IfModifiedSince=future)
        self.assertError("PreconditionFailed", 412, self.s3.get_object, Bucket=self.bucket, Key="c", IfUnmodifiedSince=past)
        got = self.s3.get_object(Bucket=self.bucket, Key="c", IfModifiedSince=past)
        self.assertEqual(got["Body"].read(), b"conditional")


class TestPresigned(S3Test):
    def test_presigned_get(self):
        self.put("p", b"presigned body")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "p"}, ExpiresIn=60)
        status, headers, body = http("GET", url)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, b"presigned body")
        self.assertEqual(headers["ETag"], md5_etag(b"presigned body"))

    def test_presigned_put(self):
        url = self.s3.generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": "up"}, ExpiresIn=60)
        status, _, body = http("PUT", url, data=b"uploaded with a URL", headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.get_body("up"), b"uploaded with a URL")

    def test_presigned_tampered(self):
        self.put("p", b"x")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "p"}, ExpiresIn=60)
        status, _, body = http("GET", url.replace("/p?", "/q?"))
        self.assertEqual(status, 403, body)
        self.assertEqual(xml_error_code(body), "SignatureDoesNotMatch", body)

    def test_presigned_expired(self):
        self.put("p", b"x")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "p"}, ExpiresIn=1)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        signed = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        # The URL is valid up to signed+1s; X-Amz-Date has whole seconds, so
        # wait until the clock is past signed+2s.
        expired_at = signed.timestamp() + 2
        while time.time() <= expired_at:
            time.sleep(expired_at - time.time() + 0.05)
        status, _, body = http("GET", url)
        self.assertEqual(status, 403, body)
        self.assertEqual(xml_error_code(body), "AccessDenied", body)


class TestErrors(S3Test):
    def test_no_such_bucket(self):
        missing = "boto3-missing-" + uuid.uuid4().hex[:8]
        self.assertError("NoSuchBucket", 404, self.s3.get_object, Bucket=missing, Key="k")
        self.assertError("NoSuchBucket", 404, self.s3.put_object, Bucket=missing, Key="k", Body=b"x")
        self.assertError("NoSuchBucket", 404, self.s3.list_objects_v2, Bucket=missing)
        self.assertError("NoSuchBucket", 404, self.s3.delete_bucket, Bucket=missing)
        # HEAD answers have no body: botocore reports the status as the code.
        self.assertError("404", 404, self.s3.head_bucket, Bucket=missing)

    def test_no_such_key(self):
        resp = self.assertError("NoSuchKey", 404, self.s3.get_object, Bucket=self.bucket, Key="missing")
        self.assertEqual(resp["Error"]["Message"], "The specified key does not exist.")
        self.assertError("404", 404, self.s3.head_object, Bucket=self.bucket, Key="missing")

    def test_invalid_bucket_name(self):
        # Names that botocore lets through but S3 refuses.
        for name in ["ab", "Upper-Case", "under_score", "-leading-hyphen", "double..dot", "192.168.1.1"]:
            with self.subTest(name=name):
                self.assertError("InvalidBucketName", 400, self.s3.create_bucket, Bucket=name)

    def test_bucket_already_owned_by_you(self):
        # us-east-1 answers 200 to the owner re-creating a bucket (AWS
        # CreateBucket, Errors); every other region answers 409.
        self.s3.create_bucket(Bucket=self.bucket)
        other = self.bucket + "-eu"
        cfg = {"LocationConstraint": "eu-west-1"}
        self.s3.create_bucket(Bucket=other, CreateBucketConfiguration=cfg)
        try:
            self.assertError("BucketAlreadyOwnedByYou", 409, self.s3.create_bucket, Bucket=other,
                             CreateBucketConfiguration=cfg)
        finally:
            self.s3.delete_bucket(Bucket=other)

    def test_bucket_not_empty(self):
        self.put("k", b"v")
        self.assertError("BucketNotEmpty", 409, self.s3.delete_bucket, Bucket=self.bucket)
        self.assertEqual(keys_of(self.s3.list_objects_v2(Bucket=self.bucket)), ["k"])

    def test_wrong_secret(self):
        bad = client(secret_key=SECRET_KEY + "-wrong")
        self.assertError("SignatureDoesNotMatch", 403, bad.list_buckets)
        self.assertError("SignatureDoesNotMatch", 403, bad.put_object, Bucket=self.bucket, Key="k", Body=b"x")
        self.assertError("NoSuchKey", 404, self.s3.get_object, Bucket=self.bucket, Key="k")

    def test_unknown_access_key(self):
        bad = client(access_key="AKIDUNKNOWN" + uuid.uuid4().hex[:8].upper())
        self.assertError("InvalidAccessKeyId", 403, bad.list_buckets)
        self.assertError("InvalidAccessKeyId", 403, bad.get_object, Bucket=self.bucket, Key="k")


if __name__ == "__main__":
    unittest.main(verbosity=2)
