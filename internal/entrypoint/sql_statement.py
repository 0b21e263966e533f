# One SQL statement in a service's database, for hotstack-os's entrypoint
# (internal/entrypoint/pymysql.go), through PyMySQL: the driver the
# OpenStack services use, already in their images, so the helper binary
# needs no MySQL client (and its TLS) of its own.
#
# Standard input, after the line that carried this program: one JSON
# object, {"connect": {"host", "port", "user", "password", "database"},
# "query": "... %s ...", "args": [...] or null}. The password comes this
# way, never on a command line or in an environment.
# Standard output: {"row": [...]} (the first row, null when there is none)
# or {"error": {"number": N, "message": "..."}}, N being the MySQL error
# number (1146: no such table; 2003: cannot connect), 0 when there is none.
import json
import sys


def error(e):
    # PyMySQL's errors carry (number, message): the server's, or its own.
    if len(e.args) == 2 and isinstance(e.args[0], int):
        return {"error": {"number": e.args[0], "message": str(e.args[1])}}
    return {"error": {"number": 0, "message": "%s: %s" % (type(e).__name__, e)}}


def text(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def answer(request):
    try:
        import pymysql
    except ImportError as e:
        return error(e)
    c = request["connect"]
    try:
        conn = pymysql.connect(host=c["host"], port=c["port"], user=c["user"], password=c["password"],
                               database=c["database"], charset="utf8mb4", connect_timeout=10,
                               # Each statement stands alone, as outside a
                               # transaction in the mysql client.
                               autocommit=True)
    except Exception as e:
        return error(e)
    try:
        cursor = conn.cursor()
        cursor.execute(request["query"], request["args"])
        # A statement that yields no result set (CREATE, REPLACE) has no
        # description and no row.
        row = cursor.fetchone() if cursor.description else None
    except Exception as e:
        return error(e)
    finally:
        try:
            conn.close()
        except Exception:
            pass  # already closed (a lost connection); the answer stands
    return {"row": None if row is None else [text(v) for v in row]}


json.dump(answer(json.loads(sys.stdin.readline())), sys.stdout)
