from dataclasses import replace

from vici.exception import CommandException

from tests.vpn.specs import make_spec
from vpn.reconcile import Actual, Desired, Op, apply, plan, plan_reset
from vpn.strongswan.sas import ChildSa, IkeSa

SPEC = make_spec(split=True)
PUSHED = Desired.of(SPEC, None).fingerprint


def sa(name="vpn-7", uniqueid=3, state="ESTABLISHED", children=("vpn-7-1", "vpn-7-2")):
    installed = tuple(
        ChildSa(name=c, uniqueid=i, state="INSTALLED") for i, c in enumerate(children)
    )
    return IkeSa(name=name, uniqueid=uniqueid, state=state, children=installed)


def actual(conns=("vpn-7",), shared=("psk-vpn-7",), sas=None):
    grouped = {}
    for ike in (sa(),) if sas is None else sas:
        grouped.setdefault(ike.name, []).append(ike)
    return Actual(frozenset(conns), frozenset(shared), grouped)


def kinds(ops):
    return [(op.kind, op.name) for op in ops]


def test_it_does_nothing_for_a_healthy_unchanged_connection():
    assert plan([Desired.of(SPEC, PUSHED)], actual()) == []


def test_it_loads_the_key_then_the_conn_of_a_new_connection():
    ops = plan([Desired.of(SPEC, None)], actual(conns=(), shared=(), sas=()))
    assert kinds(ops) == [("load_shared", "psk-vpn-7"), ("load_conn", "vpn-7")]
    assert ops[1].payload["vpn-7"]["remote_addrs"] == ["203.0.113.20"]


def test_it_reloads_everything_charon_forgot():
    ops = plan([Desired.of(SPEC, PUSHED)], actual(conns=(), shared=(), sas=()))
    assert kinds(ops) == [("load_shared", "psk-vpn-7"), ("load_conn", "vpn-7")]


def test_it_reloads_a_missing_key():
    assert ("load_shared", "psk-vpn-7") in kinds(
        plan([Desired.of(SPEC, PUSHED)], actual(shared=()))
    )


def test_it_replaces_the_sas_of_a_changed_connection():
    changed = Desired.of(replace(SPEC, psk="a new key"), PUSHED)
    ops = plan([changed], actual(sas=(sa(uniqueid=3), sa(uniqueid=5))))
    assert kinds(ops) == [
        ("load_shared", "psk-vpn-7"),
        ("load_conn", "vpn-7"),
        ("terminate_ike", "vpn-7"),
        ("terminate_ike", "vpn-7"),
        ("initiate", "vpn-7-1"),
        ("initiate", "vpn-7-2"),
    ]
    assert [op.payload for op in ops[2:4]] == [{"ike-id": "3"}, {"ike-id": "5"}]
    assert ops[4].payload == {"child": "vpn-7-1", "ike": "vpn-7"}


def test_it_lets_the_device_reconnect_a_changed_passive_connection():
    changed = Desired.of(replace(SPEC, passive=True), PUSHED)
    assert kinds(plan([changed], actual()))[-1] == ("terminate_ike", "vpn-7")


def test_it_initiates_a_loaded_active_connection_without_sas():
    ops = plan([Desired.of(SPEC, PUSHED)], actual(sas=()))
    assert kinds(ops) == [("initiate", "vpn-7-1"), ("initiate", "vpn-7-2")]


def test_it_initiates_only_the_missing_child():
    ops = plan([Desired.of(SPEC, PUSHED)], actual(sas=(sa(children=("vpn-7-1",)),)))
    assert kinds(ops) == [("initiate", "vpn-7-2")]


def test_it_leaves_a_negotiating_connection_alone():
    ops = plan([Desired.of(SPEC, PUSHED)], actual(sas=(sa(state="CONNECTING", children=()),)))
    assert ops == []


def test_it_never_initiates_a_passive_connection():
    passive = replace(SPEC, passive=True)
    assert plan([Desired.of(passive, Desired.of(passive, None).fingerprint)], actual(sas=())) == []


def test_it_removes_a_connection_no_longer_wanted():
    ops = plan([], actual())
    assert kinds(ops) == [
        ("unload_conn", "vpn-7"),
        ("unload_shared", "psk-vpn-7"),
        ("terminate_ike", "vpn-7"),
    ]


def test_it_removes_a_stray_key_of_ours():
    assert kinds(plan([], actual(conns=(), shared=("psk-vpn-9",), sas=()))) == [
        ("unload_shared", "psk-vpn-9")
    ]


def test_it_leaves_foreign_conns_keys_and_sas_alone():
    foreign = actual(conns=("office",), shared=("office-key",), sas=(sa(name="office"),))
    assert plan([], foreign) == []


def test_it_unloads_before_it_loads_and_loads_before_it_initiates():
    new = Desired.of(replace(SPEC, connection_id=8), None)
    ops = plan([new, Desired.of(SPEC, PUSHED)], actual(conns=("vpn-7", "vpn-9"), sas=()))
    assert [op.kind for op in ops] == [
        "unload_conn",
        "load_shared",
        "load_conn",
        "initiate",
        "initiate",
    ]


def test_it_keeps_the_key_out_of_op_reprs():
    ops = plan([Desired.of(SPEC, None)], actual(conns=(), shared=(), sas=()))
    assert SPEC.psk not in repr(ops)


class FakeSession:
    """Records calls; refuses those named in `refuse` the way vici does."""

    def __init__(self, refuse=None, events=()):
        self.calls = []
        self.refuse = refuse or {}
        self.events = events

    def _call(self, name, message):
        self.calls.append((name, message))
        if name in self.refuse:
            raise CommandException(f"Command failed: {self.refuse[name]}")

    def load_conn(self, message):
        self._call("load_conn", message)

    def load_shared(self, message):
        self._call("load_shared", message)

    def unload_conn(self, message):
        self._call("unload_conn", message)

    def unload_shared(self, message):
        self._call("unload_shared", message)

    def terminate(self, message):
        yield from self.events
        self._call("terminate", message)

    def initiate(self, message):
        yield from self.events
        self._call("initiate", message)


def test_it_applies_ops_with_the_fast_path_timeouts():
    session = FakeSession()
    ops = [
        Op("terminate_ike", "vpn-7", 7, {"ike-id": "3"}),
        Op("initiate", "vpn-7-1", 7, {"child": "vpn-7-1", "ike": "vpn-7"}),
    ]
    results = apply(session, ops)
    assert all(result.ok for result in results)
    assert session.calls == [
        ("terminate", {"ike-id": "3", "force": "yes", "timeout": "5000"}),
        ("initiate", {"child": "vpn-7-1", "ike": "vpn-7", "timeout": "-1", "init-limits": "no"}),
    ]


def test_it_counts_an_already_gone_sa_or_conn_as_done():
    session = FakeSession(
        refuse={
            "terminate": "no matching SAs to terminate found",
            "unload_conn": "unload: connection 'vpn-7' not found",
        }
    )
    ops = [Op("terminate_ike", "vpn-7", 7, {"ike-id": "3"}), Op("unload_conn", "vpn-7", 7)]
    assert [result.ok for result in apply(session, ops)] == [True, True]


def test_it_reports_what_charon_refused():
    session = FakeSession(refuse={"load_conn": "loading connection 'vpn-7' failed"})
    [result] = apply(session, [Op("load_conn", "vpn-7", 7, {"vpn-7": {}})])
    assert (result.ok, result.error) == (False, "loading connection 'vpn-7' failed")


def test_it_explains_a_failed_initiate_from_its_control_log():
    events = [{"msg": b"received AUTHENTICATION_FAILED notify error"}]
    session = FakeSession(
        refuse={"initiate": "establishing CHILD_SA 'vpn-7' failed"}, events=events
    )
    op = Op("initiate", "vpn-7", 7, {"child": "vpn-7", "ike": "vpn-7"})
    [result] = apply(session, [op], timeout_ms=3000)
    assert session.calls[0][1]["timeout"] == "3000"
    assert "pre-shared key" in result.reason


def test_it_resets_by_terminating_every_sa_then_initiating_each_child():
    ops = plan_reset(SPEC, [sa(uniqueid=3), sa(uniqueid=5)])
    assert kinds(ops) == [
        ("terminate_ike", "vpn-7"),
        ("terminate_ike", "vpn-7"),
        ("initiate", "vpn-7-1"),
        ("initiate", "vpn-7-2"),
    ]


def test_it_plans_the_same_reset_ops_as_converge_built_by_hand():
    mine = [sa(uniqueid=3), sa(uniqueid=5, state="CONNECTING", children=())]
    by_hand = [Op("terminate_ike", "vpn-7", 7, {"ike-id": str(ike.uniqueid)}) for ike in mine]
    by_hand += [
        Op("initiate", child, 7, {"child": child, "ike": "vpn-7"})
        for child in ("vpn-7-1", "vpn-7-2")
    ]
    assert plan_reset(SPEC, mine) == by_hand


def test_it_terminates_an_sa_of_a_reset_whatever_its_state():
    ops = plan_reset(SPEC, [sa(uniqueid=4, state="DELETING"), sa(uniqueid=2, state="CONNECTING")])
    assert [op.payload for op in ops[:2]] == [{"ike-id": "2"}, {"ike-id": "4"}]


def test_it_resets_a_connection_without_sas_by_initiating_it():
    assert kinds(plan_reset(SPEC, [])) == [("initiate", "vpn-7-1"), ("initiate", "vpn-7-2")]


def test_it_lets_the_device_reconnect_a_reset_passive_connection():
    assert kinds(plan_reset(replace(SPEC, passive=True), [sa()])) == [("terminate_ike", "vpn-7")]


def test_it_leaves_sas_of_other_connections_alone_in_a_reset():
    ops = plan_reset(SPEC, [sa(name="vpn-8", uniqueid=9), sa(name="office", uniqueid=1)])
    assert [op.kind for op in ops] == ["initiate", "initiate"]
