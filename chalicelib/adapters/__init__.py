"""The thin adapters around the core: DynamoDB (PynamoDB) and the in-memory store behind the
storage ports, CRL sources (HTTP, S3), the server secret in SSM, trust folders, the HTTP shape of
answers and their security headers, the pages, the admin gate and the logs."""
