# nova's schema steps in one Python process, for hotstack-os's entrypoint
# (internal/entrypoint/recipes.go, novaCells): the API database's schema,
# cell0's and cell1's mappings, then the cells' schema. nova-manage would
# take five runs for these (a list of the cells among them), each paying
# the import of nova again: about 3 CPU-seconds a run on two cores. This
# calls the same nova-manage commands, in order, after one import.
#
# The command line is nova-manage's configuration options (--config-file,
# --config-dir). Standard input, after the line that carried this program:
# one JSON object, {"cell": NAME, "transport_url": URL}; the URL is a
# template ({username}, {password}) and holds no secret.
# Exit status: 0 when every step succeeded, else the failed step's own
# (nova-manage's) status, or 1.
import json
import sys

request = json.loads(sys.stdin.readline())

# nova.cmd first, as nova-manage imports it: importing it monkey-patches
# the standard library for eventlet, which must come before the rest.
from nova.cmd import manage  # noqa: E402
from nova import config, context, objects, rpc  # noqa: E402
from oslo_log import log as logging  # noqa: E402

config.parse_args(["nova-manage"] + sys.argv[1:])
logging.setup(config.CONF, "nova")
objects.register_all()


def step(name, status):
    # nova-manage's commands return their exit status (None is success).
    if status:
        print("nova-manage %s failed with status %s" % (name, status), file=sys.stderr)
        sys.exit(status if isinstance(status, int) and 0 < status < 256 else 1)
    print("nova-manage %s: done" % name, flush=True)


cells = manage.CellV2Commands()
step("api_db sync", manage.ApiDbCommands().sync())
step("cell_v2 map_cell0", cells.map_cell0())
# Every start updates the cell, so a changed transport URL reaches it.
found = [m for m in objects.CellMappingList.get_all(context.get_admin_context())
         if m.name == request["cell"]]
if found:
    step("cell_v2 update_cell", cells.update_cell(cell_uuid=found[0].uuid,
                                                  transport_url=request["transport_url"]))
else:
    step("cell_v2 create_cell", cells.create_cell(name=request["cell"],
                                                  transport_url=request["transport_url"]))
step("db sync", manage.DbCommands().sync())
rpc.cleanup()
