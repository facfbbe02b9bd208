// go-oidc-verify: verifies tokens with github.com/coreos/go-oidc/v3 through OpenID discovery, as a
// Go service that trusts an issuer would. Reads a JSON request on stdin, writes JSON results on
// stdout; the interop suite (test/interop/) drives it.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

type request struct {
	CAFile   string `json:"caFile"`
	Audience string `json:"audience"`
	Issuers  []struct {
		Issuer string `json:"issuer"`
		Tokens []struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		} `json:"tokens"`
	} `json:"issuers"`
}

type result struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Subject string `json:"subject,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "go-oidc-verify: bad request: %v\n", err)
		os.Exit(2)
	}
	pem, err := os.ReadFile(req.CAFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-oidc-verify: %v\n", err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fmt.Fprintf(os.Stderr, "go-oidc-verify: no certificate in %s\n", req.CAFile)
		os.Exit(2)
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	ctx := oidc.ClientContext(context.Background(), client)

	results := []result{}
	for _, iss := range req.Issuers {
		provider, err := oidc.NewProvider(ctx, iss.Issuer)
		if err != nil {
			for _, t := range iss.Tokens {
				results = append(results, result{ID: t.ID, Error: "discovery: " + err.Error()})
			}
			continue
		}
		verifier := provider.Verifier(&oidc.Config{
			ClientID:             req.Audience,
			SupportedSigningAlgs: []string{oidc.RS256, oidc.PS256, oidc.ES256, oidc.EdDSA},
		})
		for _, t := range iss.Tokens {
			tok, err := verifier.Verify(ctx, t.Token)
			if err != nil {
				results = append(results, result{ID: t.ID, Error: err.Error()})
				continue
			}
			results = append(results, result{ID: t.ID, OK: true, Subject: tok.Subject})
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"results": results}); err != nil {
		os.Exit(2)
	}
}
