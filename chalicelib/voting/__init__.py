"""The voting domain and its services: contests, ballots, challenges, receipts, the tally, results,
evidence and the audit; and the services that hold the rules (casting a vote, closing, the
commission, admin sign-in) over the storage ports of `ports.py`. Nothing here knows DynamoDB, AWS
or Chalice; signatures are verified by `chalicelib.verify`."""
