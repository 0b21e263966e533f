#!/bin/bash
# Creates the OpenStack databases and the one user every service connects
# as ("openstack", password DB_PASSWORD, given to this container as
# MYSQL_PASSWORD), and keeps that user's password current. Safe to run on
# every start. Passwords travel in the environment and on standard input,
# never on a command line.
set -euo pipefail
: "${MYSQL_PASSWORD:?MYSQL_PASSWORD must be set}"
# SQL string literal: backslash and quote escaped.
quote() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\\\'}"; }
pw=$(quote "$MYSQL_PASSWORD")
{
  echo "CREATE USER IF NOT EXISTS 'openstack'@'%' IDENTIFIED BY ${pw};"
  echo "ALTER USER 'openstack'@'%' IDENTIFIED BY ${pw};"
  for db in keystone glance placement nova nova_api nova_cell0 neutron cinder heat; do
    echo "CREATE DATABASE IF NOT EXISTS \`${db}\`;"
    echo "GRANT ALL PRIVILEGES ON \`${db}\`.* TO 'openstack'@'%';"
  done
  echo "FLUSH PRIVILEGES;"
} | MYSQL_PWD="${MYSQL_ROOT_PASSWORD:-}" mariadb --protocol=socket -uroot
echo "init-db: databases and user openstack ready"
