"""Verifies tokens with PyJWT's PyJWKClient (Debian's python3-jwt), as a Python service would.

Reads a JSON request on stdin ({"audience", "issuers": [{"issuer", "tokens": [{"id", "token"}]}]}),
finds each issuer's jwks_uri through its discovery document and writes {"results": [...]} on stdout.
The test CA comes from SSL_CERT_FILE, which urllib's default TLS context honours.
"""
import json
import sys
import urllib.request

import jwt

ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


def discover(issuer):
    with urllib.request.urlopen(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=10) as response:
        doc = json.load(response)
    if doc.get("issuer") != issuer:
        raise ValueError(f"discovery document names issuer {doc.get('issuer')!r}, not {issuer!r}")
    return doc["jwks_uri"]


def main():
    request = json.load(sys.stdin)
    results = []
    for entry in request["issuers"]:
        issuer = entry["issuer"]
        try:
            client = jwt.PyJWKClient(discover(issuer))
        except Exception as e:  # noqa: BLE001 - every failure is a result
            results += [{"id": t["id"], "ok": False, "error": f"discovery: {e}"} for t in entry["tokens"]]
            continue
        for t in entry["tokens"]:
            try:
                key = client.get_signing_key_from_jwt(t["token"])
                claims = jwt.decode(t["token"], key.key, algorithms=ALGORITHMS, audience=request["audience"], issuer=issuer)
                results.append({"id": t["id"], "ok": True, "subject": claims.get("sub")})
            except Exception as e:  # noqa: BLE001
                results.append({"id": t["id"], "ok": False, "error": f"{type(e).__name__}: {e}"})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
