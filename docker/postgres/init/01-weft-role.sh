#!/bin/sh
# Creates the role weft connects as, with the password from WEFT_PG_PASSWORD (docker/.env), so
# that no password is written in the repository. Run once by the postgres image's entrypoint, on
# an empty data volume, before 02-shop.sql. REPLICATION lets it stream changes (postgres_cdc).
# psql's :'pw' quotes the password as a literal, whatever characters it holds.
psql -v ON_ERROR_STOP=1 -v pw="$WEFT_PG_PASSWORD" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE weft WITH LOGIN REPLICATION PASSWORD :'pw';
SQL
