#!/usr/bin/env bash
# Set up .venv, convert the bundled rule pack for every target into out/, and replay the pack on
# the bundled public CloudTrail samples.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
llmjack=.venv/bin/llmjack
samples=tests/fixtures/samples

rm -rf out
$llmjack convert --target splunk --format savedsearches -o out/splunk
$llmjack convert --target lucene --format siem_rule_ndjson -o out/lucene
$llmjack convert --target esql --format siem_rule_ndjson -o out/esql
$llmjack convert --target eql -o out/eql
echo "Converted queries are in out/."
echo

$llmjack replay \
    "$samples"/stratus-red-team/*.json \
    "$samples"/elastic-integrations/aws_cloudtrail/*.log \
    "$samples"/panther-analysis/aws_bedrock_*.jsonl
