#!/usr/bin/env python3
"""Converts the openspf.org SPF test suite (YAML, read only, outside the repo) to JSON on stdout
for src/antispam/spf_suite_test.cc, which has no YAML reader.

Usage: spf_suite_to_json.py SUITE.yml

The zone data is normalised the way the suite's reference driver (pyspf's testspf.py) does:
- RFC 7208 dropped the SPF RR type, so "SPF" records are served as TXT records of the same
  name, unless the name has TXT records of its own ("TXT: NONE" means: none, and no copies).
  The copies come after every other entry, as in testspf.py (so after a TIMEOUT).
- TIMEOUT stays an entry in order: a query for a type with no record before it times out.
- TXT values are lists of character-strings; names are lower case.
Output: {"sections": [{"description", "tests": [{"name", "helo", "host", "mailfrom",
"results": [...], "explanation"?}], "zone": {name: [{"type", "value"?}]}}]}
"""
import json
import sys

import yaml


def entry(rtype, value):
    if rtype in ("TXT", "SPF"):
        return {"type": "TXT", "value": [value] if isinstance(value, str) else list(value)}
    if rtype == "MX":
        return {"type": "MX", "value": str(value[1])}
    return {"type": rtype, "value": str(value)}


def zone_entries(records):
    out, copies, copy = [], [], True
    for rec in records:
        if rec == "TIMEOUT":
            out.append({"type": "TIMEOUT"})
            continue
        for rtype, value in rec.items():
            if rtype == "TXT":
                copy = False
            elif rtype == "SPF" and copy:
                copies.append(value)
            if value == "NONE" or rtype == "SPF":
                continue
            out.append(entry(rtype, value))
    if copy:
        out.extend(entry("TXT", v) for v in copies)
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: spf_suite_to_json.py SUITE.yml")
    sections = []
    with open(sys.argv[1], encoding="utf-8") as fh:
        for doc in yaml.safe_load_all(fh):
            tests = []
            for name, t in doc["tests"].items():
                result = t["result"]
                test = {
                    "name": name,
                    "helo": str(t.get("helo", "")),
                    "host": str(t["host"]),
                    "mailfrom": str(t.get("mailfrom", "")),
                    "results": [result] if isinstance(result, str) else list(result),
                }
                if "explanation" in t:
                    test["explanation"] = str(t["explanation"])
                tests.append(test)
            zone = {str(name).lower(): zone_entries(recs or [])
                    for name, recs in (doc.get("zonedata") or {}).items()}
            sections.append({"description": doc["description"], "tests": tests, "zone": zone})
    json.dump({"sections": sections}, sys.stdout)


if __name__ == "__main__":
    main()
