#!/usr/bin/env python3
"""Converts the ARC test suite (YAML, read only, outside the repo: arc-draft-validation-tests.yml
and arc-draft-sign-tests.yml) to JSON on stdout for src/antispam/arc_suite_test.cc, which has no
YAML reader.

Usage: arc_suite_to_json.py SUITE_DIR

Messages are given with CRLF line ends, as SMTP delivers them (the YAML has LF). Key records
("txt-records") are one TXT record each, the line breaks the YAML folds into them removed.
Output: {"validation": [{"description", "txt": {name: record}, "tests": [{"name",
"description", "message", "cv"}]}], "signing": [{"description", "txt", "domain", "selector",
"private_key", "tests": [{"name", "description", "message", "t", "sig_headers", "srv_id", "AAR",
"AMS", "AS"}]}]}
"""
import json
import os
import sys

import yaml


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def records(doc):
    return {str(name).lower().rstrip("."): str(rec).replace("\n", "")
            for name, rec in (doc.get("txt-records") or {}).items()}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: arc_suite_to_json.py SUITE_DIR")
    base = sys.argv[1]
    validation, signing = [], []
    with open(os.path.join(base, "arc-draft-validation-tests.yml"), encoding="utf-8") as fh:
        for doc in yaml.safe_load_all(fh):
            tests = [{"name": name, "description": str(t.get("description", "")),
                      "message": crlf(t.get("message") or ""), "cv": str(t.get("cv") or "")}
                     for name, t in doc["tests"].items()]
            validation.append({"description": doc["description"], "txt": records(doc),
                               "tests": tests})
    with open(os.path.join(base, "arc-draft-sign-tests.yml"), encoding="utf-8") as fh:
        for doc in yaml.safe_load_all(fh):
            tests = [{"name": name, "description": str(t.get("description", "")),
                      "message": crlf(t["message"]), "t": int(t["t"]),
                      "sig_headers": str(t["sig-headers"]), "srv_id": str(t["srv-id"]),
                      "AAR": str(t["AAR"]), "AMS": str(t["AMS"]), "AS": str(t["AS"])}
                     for name, t in doc["tests"].items()]
            signing.append({"description": doc["description"], "txt": records(doc),
                            "domain": str(doc["domain"]), "selector": str(doc["sel"]),
                            "private_key": str(doc["privatekey"]), "tests": tests})
    json.dump({"validation": validation, "signing": signing}, sys.stdout)


if __name__ == "__main__":
    main()
