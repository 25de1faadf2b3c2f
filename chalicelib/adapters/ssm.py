"""The server secret in AWS: an SSM Parameter Store SecureString, read once per container."""

from __future__ import annotations


def read_secret(name: str) -> str:
    import boto3  # only in AWS, where the secret lives in SSM

    response = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)
    value: str = response["Parameter"]["Value"]
    return value
