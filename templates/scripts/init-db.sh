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
# user: its databases.
declare -A databases=(
  [keystone]="keystone" [glance]="glance" [placement]="placement"
  [nova]="nova nova_api nova_cell0" [neutron]="neutron" [cinder]="cinder" [heat]="heat"
)
{
  for user in "${!databases[@]}"; do
    var="${user^^}_DB_PASSWORD"
    : "${!var:?$var must be set}"
    pw=$(quote "${!var}")
    echo "CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY ${pw};"
    echo "ALTER USER '${user}'@'%' IDENTIFIED BY ${pw};"
    for db in ${databases[$user]}; do
      echo "CREATE DATABASE IF NOT EXISTS \`${db}\`;"
      echo "GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${user}'@'%';"
    done
  done
  echo "DROP USER IF EXISTS 'openstack'@'%';"
  echo "FLUSH PRIVILEGES;"
} | MYSQL_PWD="${MYSQL_ROOT_PASSWORD:-}" mariadb --protocol=socket -uroot
echo "init-db: databases ready, each with its own user"
