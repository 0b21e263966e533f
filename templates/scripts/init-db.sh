#!/bin/bash
# Creates the OpenStack databases on MariaDB's first start. The password
# comes from the container environment (MYSQL_PASSWORD), never this file.
set -euo pipefail
for db in keystone glance placement neutron nova nova_api nova_cell0 cinder heat; do
  mariadb -uroot -p"${MYSQL_ROOT_PASSWORD}" <<SQL
CREATE DATABASE IF NOT EXISTS ${db};
CREATE USER IF NOT EXISTS '${db}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON ${db}.* TO '${db}'@'%';
SQL
done
