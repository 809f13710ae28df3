#!/usr/bin/env bash
# Regenerates the seed corpus of token_parse_fuzz with the openssl CLI. Tokens are signed with the
# RFC 8037 Appendix A example key (the key the fuzz harness trusts) and are valid at the harness's
# FakeClock time (1,700,000,000). Usage: libs/token/fuzz/make_corpus.sh
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/corpus
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# PKCS#8 wrapping of the RFC 8037 A.1 private key d (RFC 8410 §7 prefix).
d_hex=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
{ echo "-----BEGIN PRIVATE KEY-----"
  echo "302e020100300506032b657004220420${d_hex}" | xxd -r -p | base64 -w0; echo
  echo "-----END PRIVATE KEY-----"; } > "$tmp/key.pem"

sign() {  # sign HEADER_JSON PAYLOAD_JSON -> compact JWS
  local input
  input="$(printf '%s' "$1" | b64url).$(printf '%s' "$2" | b64url)"
  printf '%s' "$input" > "$tmp/in"
  openssl pkeyutl -sign -inkey "$tmp/key.pem" -rawin -in "$tmp/in" -out "$tmp/sig"
  printf '%s.%s' "$input" "$(b64url < "$tmp/sig")"
}

hdr='{"alg":"EdDSA","kid":"rfc8037","typ":"JWT"}'
claims='{"iss":"https://wwsf.example","sub":"alice@web.example","aud":"epcscf.example","exp":1700000300,"nbf":1700000000,"iat":1700000000,"jti":"j1","wimpu_block":"block.example"}'
good=$(sign "$hdr" "$claims")
printf '%s' "$good" > "$out/valid_eddsa"
printf 'Bearer %s' "$good" > "$out/bearer_token68"
printf 'Bearer access_token="%s"' "$good" > "$out/bearer_access_token"
sign "$hdr" '{"iss":"https://wwsf.example","sub":"a","aud":["x","epcscf.example"],"exp":1700000300.5,"iat":1700000000,"jti":"j2","wimpu_block":"block.example","scope":"sip:register","ext":{"a":[1,true,null]}}' > "$out/valid_aud_array"
sign "$hdr" '{"iss":"https://wwsf.example","sub":"a","aud":"epcscf.example","exp":1600000000,"iat":1599999000,"jti":"j3","wimpu_block":"block.example"}' > "$out/expired"
sign '{"alg":"EdDSA","kid":"rfc8037","crit":["b64"],"b64":false}' "$claims" > "$out/crit"
printf '%s.%s.' "$(printf '{"alg":"none"}' | b64url)" "$(printf '%s' "$claims" | b64url)" > "$out/alg_none"
printf '%s.%s.%s' "$(printf '{"alg":"HS256","kid":"rfc8037"}' | b64url)" "$(printf '%s' "$claims" | b64url)" \
  "$(printf 'x' | openssl dgst -sha256 -binary | b64url)" > "$out/hs256"
printf 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg' > "$out/rfc8037_a4"
printf 'a.b.c.d.e' > "$out/jwe_shape"
printf '%s' "$claims" > "$out/claims_json"
printf '%s' "$hdr" > "$out/header_json"
printf '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k"},{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"e"},{"kty":"oct","k":"AA"}]}' > "$out/jwks"
printf 'Bearer realm="ims.example", authz_server="https://wwsf.example/api/token", error="invalid_token"' > "$out/challenge"
printf '\x30\x44\x02\x20%s\x02\x20%s' "$(head -c 32 /dev/zero | tr '\0' 'A')" "$(head -c 32 /dev/zero | tr '\0' 'B')" > "$out/der_sig"
echo "corpus: $(ls "$out" | wc -l) files in $out"
