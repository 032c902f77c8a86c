#!/usr/bin/env bash
# Set up .venv, convert the bundled rule pack for every target into out/, and replay the pack on
# the bundled public CloudTrail samples.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
llmjack=.venv/bin/llmjack
samples=tests/fixtures/samples

# Exit status 1 means that some rules have no form on that target (Lucene has no correlations,
# for example); convert lists them on stderr and writes the rest.
convert() {
    "$llmjack" convert "$@" || [ "$?" -eq 1 ]
}

rm -rf out
convert --target splunk --format savedsearches -o out/splunk
convert --target lucene --format ndjson -o out/lucene
convert --target esql --format ndjson -o out/esql
convert --target eql -o out/eql
echo "Converted queries are in out/."
echo

$llmjack replay \
    "$samples"/stratus-red-team/*.json \
    "$samples"/elastic-integrations/aws_cloudtrail/*.log \
    "$samples"/panther-analysis/aws_bedrock_*.jsonl
