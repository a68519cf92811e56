"""Users, policies and signatures through boto3, against a running Anode.

Run by TestBoto3 (boto3_test.go), which starts the server, creates two
buckets as root and two users:
  READER (readonly:alpha) and WRITER (readwrite), their keys in the
  environment. ANODE_ENDPOINT is the S3 endpoint; AWS_ACCESS_KEY_ID /
  AWS_SECRET_ACCESS_KEY are the root credentials.
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

EP = os.environ["ANODE_ENDPOINT"]
passed, failed = 0, 0


def client(ak, sk, **cfg):
    return boto3.client("s3", endpoint_url=EP, aws_access_key_id=ak, aws_secret_access_key=sk,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **cfg))


root = client(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
reader = client(os.environ["READER_AK"], os.environ["READER_SK"])
writer = client(os.environ["WRITER_AK"], os.environ["WRITER_SK"])


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print("ok  ", name)
    except Exception as e:  # noqa: BLE001 - report every failure
        failed += 1
        print("FAIL", name, repr(e))


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return ""


def expect_code(want, fn):
    got = error_code(fn)
    assert got == want, f"got {got!r}, want {want!r}"


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def exists(bucket, key):
    return error_code(lambda: root.head_object(Bucket=bucket, Key=key)) == ""


def reader_reads_alpha():
    assert reader.get_object(Bucket="alpha", Key="seed.txt")["Body"].read() == b"seed of alpha"
    reader.list_objects_v2(Bucket="alpha")


def reader_cannot_write():
    expect_code("AccessDenied", lambda: reader.put_object(Bucket="alpha", Key="r.txt", Body=b"x"))
    assert not exists("alpha", "r.txt"), "denied put created the object"
    expect_code("AccessDenied", lambda: reader.delete_object(Bucket="alpha", Key="seed.txt"))
    assert exists("alpha", "seed.txt"), "denied delete removed the object"
    expect_code("AccessDenied", lambda: reader.get_object(Bucket="beta", Key="seed.txt"))
    expect_code("AccessDenied", lambda: reader.create_bucket(Bucket="gamma"))


def writer_writes():
    writer.put_object(Bucket="beta", Key="w.txt", Body=b"written")
    assert writer.get_object(Bucket="beta", Key="w.txt")["Body"].read() == b"written"
    writer.delete_object(Bucket="beta", Key="w.txt")
    assert not exists("beta", "w.txt")


def presigned_v2_default_client():
    # boto3's default presigner with a custom endpoint signs V2.
    url = reader.generate_presigned_url("get_object", Params={"Bucket": "alpha", "Key": "seed.txt"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "Signature=" in url, url
    status, body = http("GET", url)
    assert (status, body) == (200, "seed of alpha"), (status, body)
    status, body = http("GET", url.replace("Signature=", "Signature=A"))
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, (status, body)
    denied = reader.generate_presigned_url("get_object", Params={"Bucket": "beta", "Key": "seed.txt"}, ExpiresIn=300)
    status, body = http("GET", denied)
    assert status == 403 and "<Code>AccessDenied</Code>" in body, (status, body)
    expired = reader.generate_presigned_url("get_object", Params={"Bucket": "alpha", "Key": "seed.txt"}, ExpiresIn=-60)
    status, body = http("GET", expired)
    assert status == 403 and "<Code>AccessDenied</Code>" in body and "expired" in body, (status, body)


def presigned_v2_put():
    # urllib sends a Content-Type with every body: sign the one it sends.
    ct = {"Content-Type": "text/plain"}
    url = writer.generate_presigned_url("put_object", Params={"Bucket": "beta", "Key": "v2put.txt", "ContentType": "text/plain"}, ExpiresIn=300)
    status, body = http("PUT", url, data=b"through a V2 URL", headers=ct)
    assert status == 200, (status, body)
    assert root.get_object(Bucket="beta", Key="v2put.txt")["Body"].read() == b"through a V2 URL"
    url = reader.generate_presigned_url("put_object", Params={"Bucket": "alpha", "Key": "v2put.txt", "ContentType": "text/plain"}, ExpiresIn=300)
    status, body = http("PUT", url, data=b"x", headers=ct)
    assert "<Code>AccessDenied</Code>" in body, body
    assert status == 403, status
    assert not exists("alpha", "v2put.txt")


def presigned_v4():
    c = client(os.environ["READER_AK"], os.environ["READER_SK"], signature_version="s3v4")
    url = c.generate_presigned_url("get_object", Params={"Bucket": "alpha", "Key": "seed.txt"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url, url
    assert http("GET", url) == (200, "seed of alpha")


def v2_header_auth():
    w = client(os.environ["WRITER_AK"], os.environ["WRITER_SK"], signature_version="s3")
    w.put_object(Bucket="beta", Key="v2.txt", Body=b"v2 header", ContentType="text/plain", Metadata={"k": "v"})
    got = w.get_object(Bucket="beta", Key="v2.txt")
    assert got["Body"].read() == b"v2 header" and got["Metadata"] == {"k": "v"}
    w.put_object_tagging(Bucket="beta", Key="v2.txt", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert [t["Key"] for t in w.get_object_tagging(Bucket="beta", Key="v2.txt")["TagSet"]] == ["a"]
    names = [o["Key"] for o in w.list_objects(Bucket="beta")["Contents"]]
    assert "v2.txt" in names, names
    r = client(os.environ["READER_AK"], os.environ["READER_SK"], signature_version="s3")
    expect_code("AccessDenied", lambda: r.put_object(Bucket="alpha", Key="v2.txt", Body=b"x"))
    bad = client(os.environ["READER_AK"], "not-the-secret", signature_version="s3")
    expect_code("SignatureDoesNotMatch", lambda: bad.get_object(Bucket="alpha", Key="seed.txt"))


def bucket_policy_anonymous():
    url = EP + "/alpha/seed.txt"
    assert http("GET", url)[0] == 403
    root.put_bucket_policy(Bucket="alpha", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alpha/*"}]}))
    assert root.get_bucket_policy_status(Bucket="alpha")["PolicyStatus"]["IsPublic"] is True
    assert http("GET", url) == (200, "seed of alpha")
    assert http("PUT", EP + "/alpha/anon.txt", data=b"x")[0] == 403
    assert not exists("alpha", "anon.txt")
    assert http("GET", EP + "/beta/seed.txt")[0] == 403
    root.delete_bucket_policy(Bucket="alpha")
    assert http("GET", url)[0] == 403


def curl_form(url, fields, content, filename="hello.txt"):
    """POSTs a multipart form with curl -F, as an HTML form would be sent:
    the fields in order, then the file. Returns (status, body)."""
    with tempfile.NamedTemporaryFile(suffix="-" + filename, delete=False) as f:
        f.write(content)
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}"]
    for k, v in fields.items():
        args += ["--form-string", f"{k}={v}"]
    args += ["-F", f"file=@{f.name};filename={filename}", url]
    out = subprocess.run(args, capture_output=True, check=True).stdout.decode()
    os.unlink(f.name)
    body, _, status = out.rpartition("\n")
    return int(status), body


TAGGING = "<Tagging><TagSet><Tag><Key>project</Key><Value>x</Value></Tag></TagSet></Tagging>"


def presigned_post(sig):
    w = client(os.environ["WRITER_AK"], os.environ["WRITER_SK"], signature_version=sig)
    fields = {"Content-Type": "text/plain", "x-amz-meta-color": "blue", "success_action_status": "201", "tagging": TAGGING}
    conditions = [{"Content-Type": "text/plain"}, {"x-amz-meta-color": "blue"}, {"success_action_status": "201"},
                  {"tagging": TAGGING}, ["content-length-range", 1, 100]]
    post = w.generate_presigned_post("beta", "uploads/" + sig + "/${filename}", Fields=fields, Conditions=conditions, ExpiresIn=300)
    status, body = curl_form(post["url"], post["fields"], b"posted by a form")
    assert status == 201 and "<Key>uploads/" + sig + "/hello.txt</Key>" in body, (status, body)
    got = root.get_object(Bucket="beta", Key="uploads/" + sig + "/hello.txt")
    assert got["Body"].read() == b"posted by a form"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"color": "blue"}, got
    tags = root.get_object_tagging(Bucket="beta", Key="uploads/" + sig + "/hello.txt")["TagSet"]
    assert tags == [{"Key": "project", "Value": "x"}], tags

    # Too large for content-length-range: refused, nothing stored.
    status, body = curl_form(post["url"], post["fields"], b"x" * 101, filename="big.txt")
    assert status == 400 and "<Code>EntityTooLarge</Code>" in body, (status, body)
    assert not exists("beta", "uploads/" + sig + "/big.txt")
    # A field the policy does not allow.
    tampered = dict(post["fields"], **{"Content-Type": "text/html"})
    status, body = curl_form(post["url"], tampered, b"x", filename="t.txt")
    assert status == 403 and "<Code>AccessDenied</Code>" in body and "Policy Condition failed" in body, (status, body)
    extra = dict(post["fields"], **{"x-amz-meta-extra": "1"})
    status, body = curl_form(post["url"], extra, b"x", filename="t.txt")
    assert status == 403 and "Extra input fields" in body, (status, body)
    # A policy changed after signing.
    doc = json.loads(base64.b64decode(post["fields"]["policy"]))
    doc["conditions"] = [c for c in doc["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
    forged = dict(post["fields"], policy=base64.b64encode(json.dumps(doc).encode()).decode())
    status, body = curl_form(post["url"], forged, b"x" * 200, filename="t.txt")
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, (status, body)
    assert not exists("beta", "uploads/" + sig + "/t.txt")
    # Expired.
    old = w.generate_presigned_post("beta", "uploads/old", ExpiresIn=-60)
    status, body = curl_form(old["url"], old["fields"], b"x")
    assert status == 403 and "Policy expired" in body, (status, body)
    # Redirect after success.
    red = w.generate_presigned_post("beta", "uploads/r.txt", Fields={"success_action_redirect": "http://127.0.0.1/done"},
                                    Conditions=[{"success_action_redirect": "http://127.0.0.1/done"}], ExpiresIn=300)
    status, body = curl_form(red["url"], red["fields"], b"r")
    assert status == 303, (status, body)
    # A user without s3:PutObject on the bucket is refused.
    r = client(os.environ["READER_AK"], os.environ["READER_SK"], signature_version=sig)
    rp = r.generate_presigned_post("alpha", "nope.txt", ExpiresIn=300)
    status, body = curl_form(rp["url"], rp["fields"], b"x")
    assert status == 403 and "<Code>AccessDenied</Code>" in body, (status, body)
    assert not exists("alpha", "nope.txt")


for name, fn in [
    ("POST upload, V4 policy (boto3 generate_presigned_post, curl -F)", lambda: presigned_post("s3v4")),
    ("POST upload, V2 policy", lambda: presigned_post("s3")),
    ("reader reads alpha", reader_reads_alpha),
    ("reader cannot write or read beta", reader_cannot_write),
    ("writer writes", writer_writes),
    ("presigned V2 URL (default client)", presigned_v2_default_client),
    ("presigned V2 PUT", presigned_v2_put),
    ("presigned V4 URL", presigned_v4),
    ("V2 header auth", v2_header_auth),
    ("bucket policy and anonymous", bucket_policy_anonymous),
]:
    check(name, fn)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
