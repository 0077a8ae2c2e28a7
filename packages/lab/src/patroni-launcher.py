"""Runs Patroni for `dalp lab` with two fixes to its etcd3 client that Debian's Patroni 3.0.2 lacks.

1. A leader that lost its lease never overwrites another node's leader key (the fix Patroni 3.0.3 made,
   upstream pull requests 2689 and 2693). Patroni 3.0.2 renews the leader key with an unconditional put
   whenever its lease differs from the one its cached cluster view shows. In the lab's partition test that
   split the brain: the cut-off old leader kept watching its own zone's etcd member, which had no quorum,
   so its view kept naming it the leader; at the heal its lease had expired, it took a new one and wrote
   the leader key over the new primary's, promoted itself on a timeline of its own, and the writes the
   new primary had acknowledged during the partition were gone. The renewal below is a transaction that
   writes only when the key still names this node, or when nobody holds it.
2. Reads are linearizable. Patroni 3.0.2 builds that cached view with serializable reads ("we can
   tolerate stale reads"), so a node that switches to an etcd member without quorum would build a stale
   view there; a linearizable read fails on such a member and Patroni sees the DCS as unreachable.

Each fix is applied only to the versions that need it: the first below 3.0.3, the second where the
installed source still asks for serializable reads. (An earlier form of this file looked for that word in
the source of `Etcd3Client.range`, which is a decorator's wrapper: it never matched, and Patroni ran
unpatched.)
"""
import inspect
import sys
import time

from patroni.dcs import Leader, etcd3
from patroni.version import __version__ as PATRONI_VERSION


def _older_than(version, than):
    return tuple(int(part) for part in version.split(".")[:3]) < than


SERIALIZABLE_READS = "params['serializable'] = True" in inspect.getsource(etcd3)
UNCONDITIONAL_LEADER_RENEWAL = _older_than(PATRONI_VERSION, (3, 0, 3))

if SERIALIZABLE_READS:

    def _linearizable_range(self, key, range_end=None, retry=None):
        return self.call_rpc("/kv/range", etcd3.build_range_request(key, range_end), retry)

    etcd3.Etcd3Client.range = etcd3.Etcd3Client._handle_auth_errors(_linearizable_range)

if UNCONDITIONAL_LEADER_RENEWAL:

    def _update_leader_if_still_ours(self):
        retry = self._retry.copy()

        def _retry(*args, **kwargs):
            kwargs["retry"] = retry
            return retry(*args, **kwargs)

        self._run_and_handle_exceptions(self._do_refresh_lease, True, retry=_retry)
        if not self._lease:
            return False
        cluster = self.cluster
        leader_lease = cluster and isinstance(cluster.leader, Leader) and cluster.leader.session
        if leader_lease == self._lease:
            return True
        retry.deadline = retry.stoptime - time.time()
        if retry.deadline < 1:
            raise etcd3.Etcd3Error("update_leader timeout")
        key = etcd3.base64_encode(self.leader_path)
        put = {"request_put": {"key": key, "value": etcd3.base64_encode(self._name), "lease": self._lease}}
        still_ours = {"key": key, "target": "VALUE", "value": put["request_put"]["value"]}
        nobody_holds_it = {"key": key, "target": "CREATE", "create_revision": "0"}
        request = {
            "compare": [still_ours],
            "success": [put],
            "failure": [{"request_txn": {"compare": [nobody_holds_it], "success": [put]}}],
        }
        answer = self._run_and_handle_exceptions(self._client.call_rpc, "/kv/txn", request, retry=_retry)
        inner = (answer.get("responses") or [{}])[0].get("response_txn", {})
        return bool(answer.get("succeeded") or inner.get("succeeded"))

    etcd3.Etcd3._update_leader = etcd3.catch_return_false_exception(_update_leader_if_still_ours)

if __name__ == "__main__":
    # Guarded: Patroni starts the postmaster through multiprocessing's spawn, which imports this file again.
    from patroni.__main__ import main

    sys.exit(main())
