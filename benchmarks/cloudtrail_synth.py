"""Generate synthetic CloudTrail records: a mix of Bedrock calls and everyday AWS API calls.

The records follow the documented CloudTrail record shape (userIdentity, requestParameters,
tlsDetails, ...) with made-up accounts, keys and addresses. The output is deterministic for a
given seed. About a fifth of the records are Bedrock calls, made by each user from a home region
and a few addresses, with one failed call in ten. Every 10,000 records one key shows the pattern
of a stolen key: model enumeration, then a burst of inference from several regions and
addresses, with probes that fail. So a replay exercises plain and correlation rules, and most
records match nothing, as in a real trail.

    python benchmarks/cloudtrail_synth.py --records 200000 --shape s3 --output trail.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
MODELS = [
    "anthropic.claude-3-sonnet-20240229-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "meta.llama3-70b-instruct-v1:0",
    "amazon.titan-text-express-v1",
]
BEDROCK_CALLS = [
    ("InvokeModel", 50),
    ("Converse", 20),
    ("InvokeModelWithResponseStream", 10),
    ("ListFoundationModels", 8),
    ("GetModelInvocationLoggingConfiguration", 4),
    ("GetFoundationModelAvailability", 3),
    ("ListInferenceProfiles", 3),
    ("PutUseCaseForModelAccess", 1),
    ("DeleteModelInvocationLoggingConfiguration", 1),
]
OTHER_CALLS = [
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "PutObject"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("sts.amazonaws.com", "AssumeRole"),
    ("iam.amazonaws.com", "ListUsers"),
    ("lambda.amazonaws.com", "Invoke"),
    ("logs.amazonaws.com", "PutLogEvents"),
    ("kms.amazonaws.com", "Decrypt"),
    ("dynamodb.amazonaws.com", "GetItem"),
    ("cloudwatch.amazonaws.com", "GetMetricData"),
]
AGENTS = [
    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 lang/python#3.11",
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
    "aws-sdk-java/2.25.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/17",
    "python-requests/2.31.0",
]
ERRORS = [
    ("ValidationException", "max_tokens must be a positive integer"),
    ("AccessDenied", "User is not authorized to perform bedrock:InvokeModel"),
    ("ResourceNotFoundException", "Could not resolve the foundation model"),
]


class Generator:
    """Produce records in time order from a seeded random source."""

    def __init__(self, seed: int, inference_only: bool = False) -> None:
        self.random = random.Random(seed)
        self.time = datetime(2024, 5, 1, tzinfo=timezone.utc)
        self.users = [f"user{index:03d}" for index in range(200)]
        self.keys = {user: f"AKIA{index:016d}" for index, user in enumerate(self.users)}
        self.home = {user: self.random.choice(REGIONS[:2]) for user in self.users}
        self.user_addresses = {
            user: [f"198.51.{index % 100}.{self.random.randint(1, 250)}" for _ in range(3)]
            for index, user in enumerate(self.users)
        }
        self.count = 0
        # With inference_only, ordinary users never list models or read the logging setup, so
        # only the stolen-key episodes match the pack's rules.
        calls = BEDROCK_CALLS[:3] if inference_only else BEDROCK_CALLS
        self.bedrock_names = [name for name, _ in calls]
        self.bedrock_weights = [weight for _, weight in calls]

    def records(self, count: int) -> Iterator[dict[str, Any]]:
        """Yield ``count`` records, one to a few seconds apart."""
        produced = 0
        while produced < count:
            self.time += timedelta(milliseconds=self.random.randint(50, 3000))
            self.count += 1
            if self.count % 10_000 == 0:
                for record in self.stolen_key_episode():
                    if produced < count:
                        produced += 1
                        yield record
                continue
            produced += 1
            yield self.bedrock() if self.random.random() < 0.2 else self.other()

    def stolen_key_episode(self) -> Iterator[dict[str, Any]]:
        """Yield enumeration, then inference from several regions and addresses by one key."""
        user = self.random.choice(self.users)
        for name in ("GetModelInvocationLoggingConfiguration", "ListFoundationModels"):
            yield self.attacker_call(user, name, "us-east-1", "203.0.113.10")
        for index in range(30):
            self.time += timedelta(seconds=self.random.randint(1, 10))
            region = REGIONS[index % 3]
            record = self.attacker_call(user, "InvokeModel", region, f"203.0.113.{10 + index % 5}")
            record["requestParameters"] = {"modelId": self.random.choice(MODELS)}
            if index % 4 == 0:
                record["errorCode"], record["errorMessage"] = ERRORS[0]
            yield record

    def attacker_call(self, user: str, name: str, region: str, address: str) -> dict[str, Any]:
        record = self.base("bedrock.amazonaws.com", name, user)
        record["awsRegion"] = region
        record["sourceIPAddress"] = address
        record["userAgent"] = "python-requests/2.31.0"
        return record

    def base(self, source: str, name: str, user: str | None = None) -> dict[str, Any]:
        user = user or self.random.choice(self.users)
        region = self.home[user]
        return {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": f"AIDA{int(user[4:]):016d}",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
                "accountId": ACCOUNT,
                "accessKeyId": self.keys[user],
                "userName": user,
            },
            "eventTime": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": self.random.choice(self.user_addresses[user]),
            "userAgent": self.random.choice(AGENTS),
            "requestParameters": None,
            "responseElements": None,
            "requestID": str(uuid.UUID(int=self.random.getrandbits(128))),
            "eventID": str(uuid.UUID(int=self.random.getrandbits(128))),
            "readOnly": name.startswith(("Get", "List", "Describe")),
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
            "tlsDetails": {
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
            },
        }

    def bedrock(self) -> dict[str, Any]:
        name = self.random.choices(self.bedrock_names, self.bedrock_weights)[0]
        record = self.base("bedrock.amazonaws.com", name)
        if name.startswith(("Invoke", "Converse")):
            region = record["awsRegion"]
            record["tlsDetails"]["clientProvidedHostHeader"] = (
                f"bedrock-runtime.{region}.amazonaws.com"
            )
            record["requestParameters"] = {"modelId": self.random.choice(MODELS)}
            record["additionalEventData"] = {"inputTokens": self.random.randint(10, 4000)}
            if self.random.random() < 0.1:
                record["errorCode"], record["errorMessage"] = self.random.choice(ERRORS)
        return record

    def other(self) -> dict[str, Any]:
        source, name = self.random.choice(OTHER_CALLS)
        record = self.base(source, name)
        if source == "s3.amazonaws.com":
            record["requestParameters"] = {
                "bucketName": f"bucket-{self.random.randint(1, 40)}",
                "key": f"data/{self.random.getrandbits(32):08x}.parquet",
                "Host": "s3.amazonaws.com",
            }
            record["resources"] = [
                {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::bucket/data"},
                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::bucket"},
            ]
        elif name == "DescribeInstances":
            record["requestParameters"] = {"instancesSet": {}, "filterSet": {}}
        elif name == "AssumeRole":
            record["requestParameters"] = {
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/deploy",
                "roleSessionName": f"session-{self.random.getrandbits(24):06x}",
            }
        return record


def write(path: Path, count: int, shape: str, seed: int = 1, inference_only: bool = False) -> None:
    """Write ``count`` records to ``path`` as an S3 delivery (s3) or JSON Lines (jsonl)."""
    generator = Generator(seed, inference_only)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as handle:
        if shape == "jsonl":
            for record in generator.records(count):
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")
            return
        handle.write('{"Records":[')
        for index, record in enumerate(generator.records(count)):
            handle.write(("," if index else "") + json.dumps(record, separators=(",", ":")))
        handle.write("]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="number of records")
    parser.add_argument("--shape", choices=["s3", "jsonl"], default="s3", help="file layout")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--output", type=Path, required=True, help="file to write (.gz: gzip)")
    parser.add_argument(
        "--inference-only",
        action="store_true",
        help="ordinary users only call inference APIs, so few records match",
    )
    arguments = parser.parse_args()
    write(
        arguments.output,
        arguments.records,
        arguments.shape,
        arguments.seed,
        arguments.inference_only,
    )


if __name__ == "__main__":
    main()
