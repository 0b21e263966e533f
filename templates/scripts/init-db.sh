#!/bin/bash
# Creates the OpenStack databases and one user per service, each granted
# its own databases only, and keeps every user's password current (from
# <SERVICE>_DB_PASSWORD in this container's environment). Drops the one
# user all services shared before, "openstack", which an older hotstack-os
# created. Safe to run on every start. Passwords travel in the environment
# and on standard input, never on a command line.
set -euo pipefail
# SQL string literal: backslash and quote escaped.
quote() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\\\'}"; }
# DATABASE_USERS lists each user and its databases, "user:db+db,user:db"
# (the services' records, stack.DatabaseUsersVar).
: "${DATABASE_USERS:?DATABASE_USERS must be set}"
IFS=, read -ra entries <<< "$DATABASE_USERS"
for entry in "${entries[@]}"; do
  name='[a-z][a-z0-9_]*'
  [[ $entry =~ ^$name:$name(\+$name)*$ ]] || { echo "init-db: bad DATABASE_USERS entry: $entry" >&2; exit 1; }
  var="${entry%%:*}"; var="${var^^}_DB_PASSWORD"
  : "${!var:?$var must be set}"
done
{
  for entry in "${entries[@]}"; do
    user=${entry%%:*}
    var="${user^^}_DB_PASSWORD"
    pw=$(quote "${!var}")
    echo "CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY ${pw};"
    echo "ALTER USER '${user}'@'%' IDENTIFIED BY ${pw};"
    IFS=+ read -ra dbs <<< "${entry#*:}"
    for db in "${dbs[@]}"; do
      echo "CREATE DATABASE IF NOT EXISTS \`${db}\`;"
      echo "GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${user}'@'%';"
    done
  done
  echo "DROP USER IF EXISTS 'openstack'@'%';"
  echo "FLUSH PRIVILEGES;"
} | MYSQL_PWD="${MYSQL_ROOT_PASSWORD:-}" mariadb --protocol=socket -uroot
echo "init-db: databases ready, each with its own user"
