"""IP-reputation enrichment for Splunk and Elastic searches; standard library, requests, cachetools."""
