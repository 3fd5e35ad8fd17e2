#!/bin/sh
# A self-signed certificate for local use, made once, before nginx starts (docker-compose.yml
# runs it in the nginx container). A real deployment puts its own fullchain.pem and privkey.pem
# into the certificate folder (DSER_CERT_DIR) and this leaves them alone.
set -eu
dir=/etc/nginx/certs
if [ ! -s "$dir/fullchain.pem" ] || [ ! -s "$dir/privkey.pem" ]; then
  command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends openssl >/dev/null; }
  umask 077
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=${DSER_HOSTNAME:-localhost}" \
    -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem"
  echo "made a self-signed certificate for ${DSER_HOSTNAME:-localhost} in $dir"
fi
exec nginx -g 'daemon off;'
