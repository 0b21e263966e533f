#!/bin/bash
# Shared helpers for the service entrypoints.
REGION_NAME="${REGION_NAME:-__REGION_NAME__}"
KEYSTONE_URL="http://__KEYSTONE_IP__:5000/v3"

wait_for_port() { # host port [seconds]
  local host=$1 port=$2 deadline=$((SECONDS + ${3:-60}))
  until (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}
