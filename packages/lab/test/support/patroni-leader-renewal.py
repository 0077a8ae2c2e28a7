"""The split brain of the lab's heal test, in Patroni's own DCS code against a real etcd.

Usage: patroni-leader-renewal.py ETCD_URL stock|patched LAUNCHER

Node A holds the leader key; its lease expires (revoked here, as etcd revokes it after the TTL while A
is cut off) and node B takes the key. A's cached view still names A the leader (it watched an etcd
member without quorum). A then renews its leader key, as its HA loop does first thing after a heal.
Prints JSON: whether A's renewal said it succeeded, and who holds the key afterwards. Stock Patroni
3.0.2 overwrites B's key; with the lab's launcher imported ("patched") the key stays B's.
"""
import importlib.util
import json
import sys
import time

url, mode, launcher = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "patched":
    spec = importlib.util.spec_from_file_location("patroni_launcher", launcher)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))

from patroni.dcs import get_dcs  # noqa: E402
from patroni.dcs.etcd3 import base64_decode, base64_encode  # noqa: E402

SCOPE = "renewal-%d" % int(time.time() * 1000)


def node(name):
    config = {"hosts": [url.replace("http://", "")]}
    return get_dcs(
        {"scope": SCOPE, "name": name, "namespace": "/dalp-test/", "ttl": 10, "loop_wait": 2,
         "retry_timeout": 4, "etcd3": config}
    )


a, b = node("node-a"), node("node-b")
assert a.attempt_to_acquire_leader(), "A could not take the free leader key"
stale = a.get_cluster()
assert stale.leader and stale.leader.name == "node-a"

# A's lease runs out while A is cut off: etcd revokes it, and the leader key goes with it.
a._client.call_rpc("/lease/revoke", {"ID": a._lease})
assert b.attempt_to_acquire_leader(), "B could not take the leader key after A's lease expired"

# A's view is the one it had before the cut (its watch was on a member that saw no new writes).
with a._cluster_thread_lock:
    a._cluster, a._cluster_valid_till = stale, time.time() + 60
renewed = a.update_leader(None)

kvs = b._client.call_rpc("/kv/range", {"key": base64_encode(b.leader_path)}).get("kvs", [])
print(json.dumps({"renewed": bool(renewed), "holder": base64_decode(kvs[0]["value"]) if kvs else None}))
