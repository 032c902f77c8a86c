"""Classify one address from local evidence, then fold in an online reputation result.

Precedence, most specific evidence first (the first rule that applies sets ``ip_class``; the
evidence of every rule that matched still goes into ``ip_tags``):

1. the cell is not an address: invalid, masked, a service name, an internal marker
2. special-purpose ranges: private, shared (CGNAT), loopback, link-local, multicast, reserved,
   documentation, unspecified
3. the user's deny and allow lists (the most specific prefix wins; deny wins a tie)
4. Tor exit, 5. VPN, 6. proxy, 7. cloud provider (with provider, service and region),
   8. hosting ranges, then hosting, VPN or proxy AS numbers
9. online reputation: malicious or suspicious
10. residential, only with positive evidence (a residential feed or an ISP AS number)
11. unknown

Steps 1-8 decide without the network; only addresses that reach step 9 are sent online.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from llmjack_enrichment import addresses
from llmjack_enrichment.errors import IndexFileError
from llmjack_enrichment.index import FeedIndex
from llmjack_enrichment.special import special_class

FEED_PRECEDENCE = ("tor", "vpn", "proxy", "cloud", "hosting")
# Classes that local evidence leaves open to an online lookup.
OPEN_CLASSES = ("unknown", "residential")
# Output fields that depend only on the feed labels, in the order of an index summary.
SUMMARY_FIELDS = (
    "ip_class",
    "ip_tags",
    "ip_provider",
    "ip_service",
    "ip_region",
    "ip_asn",
    "ip_as_org",
    "ip_country",
    "ip_label",
)
OUTPUT_FIELDS = SUMMARY_FIELDS + ("ip_rep_score", "ip_rep_sources", "ip_rep_status", "ip_status")
TAG_ORDER = ("denylist", "allowlist") + FEED_PRECEDENCE + ("residential",)
ASN_CLASSES = {"hosting": "hosting", "vpn": "vpn", "proxy": "proxy"}
RESIDENTIAL_ASN_KINDS = ("residential", "isp")
MULTIVALUE_SEPARATOR = "\n"
CELL_STATUS = {
    addresses.MASKED: "masked",
    addresses.SERVICE: "service_name",
    addresses.INTERNAL: "internal",
}

# ip_rep_status values this module sets; the others come from the online service. A verdict
# left open locally has the status "offline" until an online result replaces it.
REP_SKIPPED = "skipped"
REP_OFFLINE = "offline"


@dataclass
class Verdict:
    """The classification of one cell; ``fields()`` gives the lookup's output columns.

    Treated as immutable (``dataclasses.replace`` makes changed copies); it is not frozen
    because frozen instances take about twice as long to create, once per distinct value.
    """

    ip_class: str
    status: str = "ok"
    address: str = ""
    tags: tuple[str, ...] = ()
    provider: str = ""
    service: str = ""
    region: str = ""
    asn: str = ""
    as_org: str = ""
    country: str = ""
    label: str = ""
    rep_score: str = ""
    rep_sources: str = ""
    rep_status: str = REP_SKIPPED
    needs_online: bool = False

    def fields(self) -> dict[str, str]:
        """Return the output columns by name."""
        return {
            "ip_class": self.ip_class,
            "ip_tags": ";".join(self.tags),
            "ip_provider": self.provider,
            "ip_service": self.service,
            "ip_region": self.region,
            "ip_asn": self.asn,
            "ip_as_org": self.as_org,
            "ip_country": self.country,
            "ip_label": self.label,
            "ip_rep_score": self.rep_score,
            "ip_rep_sources": self.rep_sources,
            "ip_rep_status": self.rep_status,
            "ip_status": self.status,
        }


class Classifier:
    """Local classification with an optional feed index and the user's lists.

    ``problems`` are short phrases ("no feed index") for evidence that could not be loaded; a
    verdict that needed that evidence gets the status ``local_only: <problems>``.
    """

    def __init__(
        self,
        feed_index: FeedIndex | None = None,
        user_lists: FeedIndex | None = None,
        problems: Sequence[str] = (),
    ) -> None:
        self.feed_index = feed_index
        self.user_lists = user_lists
        self.problems = tuple(problems)

    def classify(self, cell: str) -> Verdict:
        """Classify one cell from local evidence; ``needs_online`` marks addresses left open.

        A cell with several lines is a multivalue field (Splunk joins values with newlines,
        ``llmjack enrich`` joins a JSON array the same way). Only its first value is classified,
        and the status reports it: ``multivalue: first of 3``.
        """
        if MULTIVALUE_SEPARATOR in cell:
            values = [value for value in cell.split(MULTIVALUE_SEPARATOR) if value.strip()]
            if len(values) > 1:
                verdict = self._classify_one(values[0])
                return replace(verdict, status=_multivalue_status(verdict.status, len(values)))
        return self._classify_one(cell)

    def _classify_one(self, cell: str) -> Verdict:
        parsed = addresses.parse_cell(cell)
        if parsed.kind == addresses.EMPTY:
            # An empty cell gets empty output fields, the same in every output format.
            return Verdict("", status="", rep_status="")
        if parsed.kind == addresses.INVALID:
            return Verdict("invalid", status=f"invalid: {parsed.reason}", tags=("invalid",))
        if parsed.kind != addresses.ADDRESS:
            provider = "aws" if parsed.text.lower().endswith("amazonaws.com") else ""
            tags = (parsed.kind,)
            return Verdict(parsed.kind, CELL_STATUS[parsed.kind], tags=tags, provider=provider)

        special = special_class(parsed.address)
        if special is not None:
            return Verdict(special, address=parsed.text, tags=(special,))

        user_labels = () if self.user_lists is None else self.user_lists.lookup(parsed.address)
        if self.feed_index is None:
            return self.from_labels(parsed.text, user_labels)
        if not user_labels and self.feed_index.has_summaries:
            return self._from_summary(parsed.text, self.feed_index.summary(parsed.address))
        return self.from_labels(parsed.text, user_labels + self.feed_index.lookup(parsed.address))

    def _from_summary(self, address: str, summary: str) -> Verdict:
        fields = summary.split("\t")
        if len(fields) != len(SUMMARY_FIELDS):
            raise IndexFileError(f"{self.feed_index.source} has a damaged summary {summary[:60]!r}")
        ip_class, tags, provider, service, region, asn, as_org, country, label = fields
        needs_online = ip_class in OPEN_CLASSES
        return Verdict(
            ip_class,
            "ok" if not self.problems else "local_only: " + ", ".join(self.problems),
            address,
            tuple(tags.split(";")) if tags else (),
            provider,
            service,
            region,
            asn,
            as_org,
            country,
            label,
            rep_status=REP_OFFLINE if needs_online else REP_SKIPPED,
            needs_online=needs_online,
        )

    def from_labels(self, address: str, labels: Sequence[Mapping[str, Any]]) -> Verdict:
        """Classify a global address from the feed and list labels that cover it."""
        status = "ok" if not self.problems else "local_only: " + ", ".join(self.problems)
        if not labels:
            return Verdict("unknown", status, address, rep_status=REP_OFFLINE, needs_online=True)

        by_category: dict[str, Mapping[str, Any]] = {}
        country = ""
        for label in labels:
            category = label.get("category", "")
            if category == "user":
                # The allow and deny lists share the category "user" so that one prefix wins.
                category = label.get("list", "")
            by_category[category] = label
            country = country or label.get("country", "")
        asn_label = by_category.get("asn", {})
        asn_kind = asn_label.get("asn_kind", "")
        tags = [name for name in TAG_ORDER if name in by_category]
        if asn_kind and asn_kind not in tags:
            tags.append(asn_kind)

        ip_class, winner = _winning_class(by_category, asn_kind)
        # Details come from the deciding label first, then from the other evidence in order.
        sources = [winner] if winner else []
        sources += [by_category[name] for name in FEED_PRECEDENCE if name in by_category]
        needs_online = ip_class in OPEN_CLASSES
        return Verdict(
            ip_class=ip_class,
            status=status,
            address=address,
            tags=tuple(tags),
            provider=_first(sources, "provider"),
            service=_first(sources, "service"),
            region=_first(sources, "region"),
            asn=asn_label.get("asn", ""),
            as_org=asn_label.get("as_org", ""),
            country=country,
            label=_first(sources, "list_label"),
            rep_status=REP_OFFLINE if needs_online else REP_SKIPPED,
            needs_online=needs_online,
        )


def _multivalue_status(status: str, count: int) -> str:
    note = f"multivalue: first of {count}"
    return note if status == "ok" else f"{status} ({note})"


def summarise(labels: Sequence[Mapping[str, Any]]) -> str:
    """Return the verdict for a label set as the tab-separated text the index stores."""
    verdict = Classifier().from_labels("", labels)
    fields = verdict.fields()
    return "\t".join(fields[name].replace("\t", " ") for name in SUMMARY_FIELDS)


def _first(labels: Sequence[Mapping[str, Any]], key: str) -> str:
    for label in labels:
        value = label.get(key)
        if value:
            return value
    return ""


def _winning_class(
    by_category: Mapping[str, Mapping[str, Any]], asn_kind: str
) -> tuple[str, Mapping[str, Any] | None]:
    for name in ("denylist", "allowlist") + FEED_PRECEDENCE:
        if name in by_category:
            return name, by_category[name]
    if asn_kind in ASN_CLASSES:
        return ASN_CLASSES[asn_kind], by_category["asn"]
    if "residential" in by_category:
        return "residential", by_category["residential"]
    if asn_kind in RESIDENTIAL_ASN_KINDS:
        return "residential", by_category["asn"]
    return "unknown", None


def with_reputation(verdict: Verdict, reputation: Any) -> Verdict:
    """Fold an online result (a ``reputation.Reputation``) into a verdict left open locally.

    Only a malicious or suspicious result changes ``ip_class``, and a benign one keeps the local
    class (residential or unknown) and still reports its score and sources.
    """
    ip_class = verdict.ip_class
    tags = verdict.tags
    if reputation.verdict in ("malicious", "suspicious"):
        ip_class = reputation.verdict
        tags = tags + (reputation.verdict,)
    score = "" if reputation.score is None else str(reputation.score)
    return replace(
        verdict,
        ip_class=ip_class,
        tags=tags,
        rep_score=score,
        rep_sources=";".join(reputation.sources),
        rep_status=reputation.status,
    )
