"""IP-reputation enrichment for Splunk and Elastic; needs only the standard library, requests
and cachetools, and runs on Python 3.9."""
