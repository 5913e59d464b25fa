#!/usr/bin/env bash
# issue 17: the same sets and the query benchmark on the commit before this session (5c86b33)
# and on HEAD, one after the other on the same index
set -u
E=/work/main/.venv/bin/python
export DOCENT_GLOSSARY_FILE=/work/main/deploy/demo-glossary.yaml
for set in dev untuned; do
  case $set in dev) D=/work/shared/eval/dev.jsonl;; untuned) D=/work/main/eval/datasets/untuned.jsonl;; esac
  (cd /work/main && $E -m eval run --dataset $D --corpus /work/shared/corpus --index /tmp/evalidx2 --config generation.kind=extractive --out /tmp/m/after-$set > /tmp/m/after-$set.log 2>&1)
  (cd /work/before && $E -m eval run --dataset $D --corpus /work/shared/corpus --index /tmp/evalidx2 --config generator=extractive --out /tmp/m/before-$set > /tmp/m/before-$set.log 2>&1)
done
(cd /work/before && $E -m eval.bench_query --corpus /work/shared/corpus --index /tmp/evalidx2 --n 40 --out /tmp/m/before-bench.json > /tmp/m/before-bench.log 2>&1)
(cd /work/main && $E -m eval.bench_query --corpus /work/shared/corpus --index /tmp/evalidx2 --n 40 --out /tmp/m/after-bench.json > /tmp/m/after-bench.log 2>&1)
echo measured
