"""Trust anchors and certificate paths, found with bounded work.

Every certificate in the trust folder is an anchor, self-signed or not (an operator may trust an
NCA intermediate directly). A path is accepted only when every link's signature verifies with
the issuer's key: names are never enough, so a rogue CA with byte-identical names fails.

Path building (RFC 4158's ideas, kept small): the certificates a CMS carries are first pruned
without any public-key operation — only those whose issuer names lead to an anchor's name stay,
each checked against RFC 5280's CA rules, the key profile and its validity — then a depth-first
search tries the candidates for each link (issuer name and key identifier must match), skips
any not valid at the verification time and backtracks past it, and verifies a link's signature
only when everything cheaper holds. Every public-key operation is charged to the request's
`Budget`; verified CA-to-CA links are remembered per process, so a vote usually pays one link.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime

from chalicelib.verify import algorithms
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import (
    CERTIFICATE_EXPIRED,
    CERTIFICATE_NOT_YET_VALID,
    UNTRUSTED_CERTIFICATE,
    VerificationError,
)
from chalicelib.verify.policy import NCA, Policy

_KNOWN_LINKS = 1024


class Budget:
    """The public-key operations one verification may still spend."""

    __slots__ = ("spent", "total")

    def __init__(self, total: int) -> None:
        self.total, self.spent = total, 0

    def spend(self) -> None:
        if self.spent >= self.total:
            raise VerificationError(UNTRUSTED_CERTIFICATE, f"signature budget of {self.total} verifications exhausted")
        self.spent += 1


def signed_by(child_tbs: bytes | memoryview, signature_oid: str, signature: bytes, issuer: Certificate) -> bool:
    """Whether `issuer`'s key made `signature` over a certificate's `child_tbs` (an unsupported or
    malformed key is a link that does not hold; `crl` tells those apart, so it asks `algorithms`)."""
    key = algorithms.PublicKey(issuer.spki_der, issuer.public_key_oid)
    try:
        return algorithms.verify(key, signature_oid, child_tbs, signature)
    except (algorithms.UnsupportedAlgorithm, algorithms.MalformedKey):
        return False


def _validity(certificate: Certificate, at: datetime) -> str | None:
    if at < certificate.not_before:
        return CERTIFICATE_NOT_YET_VALID
    if at > certificate.not_after:
        return CERTIFICATE_EXPIRED
    return None


class _Search:
    """One path search: what was refused and why, for the answer when no path is found."""

    def __init__(self, store: TrustStore, pool: dict[bytes, list[Certificate]], at: datetime, budget: Budget,
                 rules: Policy) -> None:
        self.store, self.pool, self.at, self.budget, self.rules = store, pool, at, budget, rules
        self.validity: str | None = None  # a candidate refused only for its validity
        self.reasons: list[str] = []

    def extend(self, path: list[Certificate]) -> list[Certificate] | None:
        current = path[-1]
        if self.store.is_anchor(current):
            return path
        if len(path) >= self.rules.max_path_length:
            self.reasons.append("path too long")
            return None
        wanted = current.authority_key_identifier
        candidates = [*self.store.anchors_named(current.issuer_der), *self.pool.get(current.issuer_der, ())]
        if not candidates:
            self.reasons.append("issuer not found")
        tried = 0
        for issuer in candidates:
            if any(issuer.subject_der == c.subject_der and issuer.spki_der == c.spki_der for c in path):
                continue  # a loop through the same name and key (or the same certificate) proves nothing
            if wanted is not None and issuer.key_identifier is not None and issuer.key_identifier != wanted:
                continue  # another key of the same CA
            if tried >= self.rules.max_candidates:
                self.reasons.append("too many candidate issuers")
                break
            tried += 1
            if not self._acceptable_issuer(issuer, path):
                continue
            if not self.store.link_holds(current, issuer, self.budget):
                self.reasons.append("a link's signature does not verify")
                continue
            found = self.extend([*path, issuer])
            if found is not None:
                return found
        return None

    def _acceptable_issuer(self, issuer: Certificate, path: list[Certificate]) -> bool:
        problem = self.store.problem_as_ca(issuer, self.rules)
        if problem is not None:
            self.reasons.append(problem)
            return False
        if issuer.path_length is not None and issuer.path_length < _intermediates_below(path):
            self.reasons.append("path length constraint exceeded")
            return False
        expired = _validity(issuer, self.at)
        if expired is not None:
            self.validity = self.validity or expired
            return False
        return True


class TrustStore:
    def __init__(self, anchors: Iterable[Certificate]) -> None:
        self.anchors = tuple(dict.fromkeys(anchors))
        self._fingerprints = {a.fingerprint for a in self.anchors}
        self._by_subject: dict[bytes, list[Certificate]] = {}
        for anchor in self.anchors:
            self._by_subject.setdefault(anchor.subject_der, []).append(anchor)
        # Verified (CA, issuer) links: the intermediate-to-root link is the same on almost every
        # vote, so each is verified once per process. Only links that hold between CAs are kept:
        # a request cannot fill this with its own one-off certificates.
        self._links: OrderedDict[tuple[bytes, bytes], bool] = OrderedDict()
        self._ca_problems: dict[tuple[int, bytes], str | None] = {}
        self._lock = threading.Lock()

    def is_anchor(self, certificate: Certificate) -> bool:
        return certificate.fingerprint in self._fingerprints

    def anchors_named(self, subject_der: bytes) -> list[Certificate]:
        return self._by_subject.get(subject_der, [])

    def path(self, leaf: Certificate, intermediates: Sequence[Certificate], at: datetime,
             budget: Budget | None = None, rules: Policy = NCA) -> list[Certificate]:
        """The path leaf → … → anchor, every link verified and every certificate valid at `at`.

        Raises VerificationError `untrusted_certificate`, `certificate_expired` or
        `certificate_not_yet_valid` (the latter two when only validity stood in the way).
        """
        budget = budget or Budget(rules.max_signature_checks)
        problem = leaf.problem(rules, as_ca=False) if not self.is_anchor(leaf) else None
        if problem is not None:
            raise VerificationError(UNTRUSTED_CERTIFICATE, problem)
        expired = _validity(leaf, at)
        if expired is not None:
            raise VerificationError(expired, "the signer's certificate")
        search = _Search(self, self._useful(leaf, intermediates), at, budget, rules)
        found = search.extend([leaf])
        if found is None:
            if search.validity is not None:
                raise VerificationError(search.validity, "no path of certificates valid now")
            raise VerificationError(UNTRUSTED_CERTIFICATE, "; ".join(dict.fromkeys(search.reasons)) or "no path")
        anchor = found[-1]
        expired = _validity(anchor, at)
        if expired is not None:
            raise VerificationError(expired, "the trust anchor")
        return found

    def _useful(self, leaf: Certificate, intermediates: Sequence[Certificate]) -> dict[bytes, list[Certificate]]:
        """The CMS's certificates that may be links of a path, by subject: not anchors, not the
        leaf, and reaching an anchor's name through issuer names (no public-key operation)."""
        waiting = [c for c in dict.fromkeys(intermediates) if c != leaf and not self.is_anchor(c)]
        reachable = set(self._by_subject)
        pool: dict[bytes, list[Certificate]] = {}
        grew = True
        while grew and waiting:
            grew = False
            for certificate in list(waiting):
                if certificate.issuer_der in reachable:
                    waiting.remove(certificate)
                    pool.setdefault(certificate.subject_der, []).append(certificate)
                    reachable.add(certificate.subject_der)
                    grew = True
        return pool

    def problem_as_ca(self, issuer: Certificate, rules: Policy) -> str | None:
        """RFC 5280's and the key profile's objections to `issuer` as a CA (remembered per
        certificate: anchors and intermediates recur)."""
        key = (id(rules), issuer.der)
        known = self._ca_problems.get(key, "")
        if known != "":
            return known
        problem = issuer.problem(rules, as_ca=True)
        if problem is None:
            try:
                algorithms.check_key(issuer.spki_der, rules)
            except (algorithms.UnsupportedAlgorithm, algorithms.MalformedKey) as error:
                problem = f"an issuer's key: {error}"
        with self._lock:
            if len(self._ca_problems) > 4 * _KNOWN_LINKS:
                self._ca_problems.clear()
            self._ca_problems[key] = problem
        return problem

    def link_holds(self, child: Certificate, issuer: Certificate, budget: Budget) -> bool:
        key = (child.der, issuer.der)
        with self._lock:
            if key in self._links:
                self._links.move_to_end(key)
                return True
        budget.spend()
        holds = signed_by(child.tbs, child.signature_oid, child.signature, issuer)
        if holds and child.is_ca:
            with self._lock:
                self._links[key] = True
                if len(self._links) > _KNOWN_LINKS:
                    self._links.popitem(last=False)
        return holds


def _intermediates_below(path: list[Certificate]) -> int:
    # path[0] is the leaf; every certificate after it is a CA that is not self-issued.
    return sum(1 for c in path[1:] if not c.is_self_issued)
