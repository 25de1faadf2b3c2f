"""The voting service's library: a pure core (signatures, trust, ballots, tallies) and thin adapters."""
