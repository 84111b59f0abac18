"""The connection state machine (vpn.strongswan.states) and which log lines are failures."""

import subprocess
import sys

import pytest

from vpn.choices import ConnectionState
from vpn.strongswan import states
from vpn.strongswan.sas import Observed, is_failure_log, reason_from_log
from vpn.strongswan.states import Transition, next_state

PEER = "203.0.113.20"
UP = f"Connected to {PEER}."
DOWN = f"No IKE SA with {PEER}."
NEGOTIATING = f"Negotiating the IKE SA with {PEER}."
RETRYING = f"The tunnel is down; negotiating again. {NEGOTIATING}"
WENT_DOWN = f"The tunnel went down; trying to reach {PEER} again."
AUTH = "Authentication failed: the pre-shared key on your device does not match."
REFUSED = "The router refused the configuration: loading connection 'vpn-7' failed"
SELECTORS = "The tunnel came up with other networks than configured."
RESET = "Reset: negotiating again."
PENDING_REASON = "Waiting for the router to apply it."

# What each state says when it is the current one (an Error from a failed authentication).
ON_RECORD = {
    "pending": PENDING_REASON,
    "connecting": NEGOTIATING,
    "connected": UP,
    "disconnected": DOWN,
    "error": AUTH,
}
SAYS = {"connected": UP, "disconnected": DOWN, "connecting": NEGOTIATING, "error": SELECTORS}
KEPT = "<the reason on record>"

# current state, observed state, event, failure in the log, expected state, expected reason
RULES = [
    # Connected always wins.
    pytest.param("pending", "connected", "sweep", None, "connected", UP, id="pending-comes-up"),
    pytest.param("error", "connected", "sweep", None, "connected", UP, id="an-error-comes-up"),
    pytest.param(
        "disconnected", "connected", "event-up", None, "connected", UP, id="a-retry-works"
    ),
    pytest.param("connected", "connected", "rekey", None, "connected", UP, id="a-rekey-stays-up"),
    pytest.param(
        "connected", "connected", "event-down", None, "connected", UP, id="a-down-not-confirmed"
    ),
    pytest.param(
        "error", "connected", "event-up", AUTH, "connected", UP, id="up-despite-an-old-log-failure"
    ),
    # Otherwise the observation stands.
    pytest.param(
        "connected", "disconnected", "sweep", None, "disconnected", DOWN, id="a-tunnel-lost"
    ),
    pytest.param(
        "pending", "disconnected", "sweep", None, "disconnected", DOWN, id="pending-finds-nothing"
    ),
    pytest.param(
        "connected", "error", "sweep", None, "error", SELECTORS, id="up-on-the-wrong-networks"
    ),
    pytest.param(
        "error", "error", "sweep", None, "error", SELECTORS, id="a-new-error-replaces-the-old"
    ),
    # An Error stays while the tunnel is merely down or negotiating again.
    pytest.param("error", "disconnected", "sweep", None, "error", KEPT, id="an-error-stays-down"),
    pytest.param(
        "error", "disconnected", "event-down", None, "error", KEPT, id="an-error-stays-on-a-down"
    ),
    pytest.param(
        "error", "connecting", "sweep", None, "error", KEPT, id="an-error-stays-while-retrying"
    ),
    pytest.param(
        "error", "connecting", "event-up", None, "error", KEPT, id="an-error-stays-on-an-event"
    ),
    pytest.param(
        "error", "connecting", "event-down", None, "error", KEPT, id="an-error-stays-after-a-down"
    ),
    # Connecting is only the first negotiation after an add, edit or reset.
    pytest.param(
        "pending", "connecting", "sweep", None, "connecting", NEGOTIATING, id="a-first-negotiation"
    ),
    pytest.param(
        "connecting",
        "connecting",
        "sweep",
        None,
        "connecting",
        NEGOTIATING,
        id="a-first-negotiation-that-takes-a-while",
    ),
    pytest.param(
        "pending",
        "connecting",
        "event-up",
        None,
        "connecting",
        NEGOTIATING,
        id="a-first-negotiation-seen-by-the-monitor",
    ),
    pytest.param(
        "connecting",
        "connecting",
        "rekey",
        None,
        "connecting",
        NEGOTIATING,
        id="a-first-negotiation-during-a-rekey",
    ),
    # Any other negotiation is a retry and shows as down.
    pytest.param(
        "connected", "connecting", "sweep", None, "disconnected", RETRYING, id="a-renegotiation"
    ),
    pytest.param(
        "disconnected", "connecting", "sweep", None, "disconnected", RETRYING, id="a-retry"
    ),
    pytest.param(
        "connected",
        "connecting",
        "event-up",
        None,
        "disconnected",
        RETRYING,
        id="a-renegotiation-seen-by-the-monitor",
    ),
    pytest.param(
        "connected",
        "connecting",
        "rekey",
        None,
        "disconnected",
        RETRYING,
        id="a-rekey-that-lost-the-tunnel",
    ),
    # After a down event, a negotiation under way is trying again.
    pytest.param(
        "connected",
        "connecting",
        "event-down",
        None,
        "disconnected",
        WENT_DOWN,
        id="a-tunnel-that-went-down-is-retried",
    ),
    pytest.param(
        "connecting",
        "connecting",
        "event-down",
        None,
        "disconnected",
        WENT_DOWN,
        id="a-first-negotiation-that-went-down-is-retried",
    ),
    pytest.param(
        "pending",
        "connecting",
        "event-down",
        None,
        "disconnected",
        WENT_DOWN,
        id="a-pending-that-went-down-is-retried",
    ),
    pytest.param(
        "connected",
        "connecting",
        "event-down",
        AUTH,
        "disconnected",
        WENT_DOWN,
        id="a-retry-after-a-down-is-not-yet-a-failure",
    ),
    pytest.param(
        "connected",
        "disconnected",
        "event-down",
        None,
        "disconnected",
        DOWN,
        id="a-down-without-a-retry",
    ),
    # A failure in the log turns a Disconnected observation into Error.
    pytest.param(
        "connected", "disconnected", "event-down", AUTH, "error", AUTH, id="a-down-explained"
    ),
    pytest.param(
        "connecting", "disconnected", "event-up", AUTH, "error", AUTH, id="a-failed-first-try"
    ),
    pytest.param("pending", "disconnected", "sweep", AUTH, "error", AUTH, id="a-sweep-explained"),
    pytest.param("disconnected", "disconnected", "rekey", AUTH, "error", AUTH, id="a-failed-retry"),
    pytest.param(
        "connected",
        "connecting",
        "event-up",
        AUTH,
        "disconnected",
        RETRYING,
        id="a-negotiation-under-way-is-not-yet-a-failure",
    ),
    pytest.param(
        "pending",
        "connecting",
        "rekey",
        AUTH,
        "connecting",
        NEGOTIATING,
        id="a-first-negotiation-under-way-is-not-yet-a-failure",
    ),
]


@pytest.mark.parametrize(("current", "seen", "event", "failure", "state", "reason"), RULES)
def test_it_moves_between_states_by_the_rules(current, seen, event, failure, state, reason):
    transition = next_state(
        current, ON_RECORD[current], Observed(seen, SAYS[seen]), event, peer=PEER, failure=failure
    )
    expected_reason = ON_RECORD[current] if reason is KEPT else reason
    assert transition == Transition(state, expected_reason)


# current state, event, the observation the caller makes of it, expected state and reason
DECLARED = [
    pytest.param("connected", "log-failure", ("error", AUTH), "error", AUTH, id="log-fails-up"),
    pytest.param("pending", "log-failure", ("error", AUTH), "error", AUTH, id="log-fails-first"),
    pytest.param(
        "error", "log-failure", ("error", AUTH), "error", AUTH, id="log-explains-an-old-error"
    ),
    pytest.param("pending", "refused", ("error", REFUSED), "error", REFUSED, id="refused-push"),
    pytest.param(
        "connected", "refused", ("error", REFUSED), "error", REFUSED, id="refused-while-up"
    ),
    pytest.param("pending", "reset", ("connecting", RESET), "connecting", RESET, id="reset"),
    pytest.param(
        "connected",
        "reset",
        ("connecting", RESET),
        "connecting",
        RESET,
        id="reset-after-a-sweep-saw-it-up",
    ),
    pytest.param(
        "error", "reset", ("connecting", RESET), "connecting", RESET, id="reset-of-an-error"
    ),
    pytest.param(
        "disconnected", "reset", ("connecting", RESET), "connecting", RESET, id="reset-of-a-down"
    ),
]


@pytest.mark.parametrize(("current", "event", "seen", "state", "reason"), DECLARED)
def test_it_takes_the_state_a_refusal_a_log_failure_or_a_reset_declares(
    current, event, seen, state, reason
):
    transition = next_state(current, ON_RECORD[current], Observed(*seen), event, peer=PEER)
    assert transition == Transition(state, reason)


def test_it_has_rows_for_every_event_and_every_current_state():
    events = {p.values[2] for p in RULES} | {p.values[1] for p in DECLARED}
    assert events == states.EVENTS
    assert {p.values[0] for p in RULES + DECLARED} == set(ConnectionState.values)


def test_it_keeps_a_refused_configuration_in_error_until_the_tunnel_is_up():
    steps = [
        (Observed("error", REFUSED), "refused"),
        (Observed("disconnected", DOWN), "sweep"),
        (Observed("connecting", NEGOTIATING), "sweep"),
        (Observed("connecting", NEGOTIATING), "event-up"),
        (Observed("connected", UP), "sweep"),
    ]
    current, seen = Transition("pending", PENDING_REASON), []
    for observed, event in steps:
        current = next_state(current.state, current.reason, observed, event)
        seen.append(current)
    assert seen == [Transition("error", REFUSED)] * 4 + [Transition("connected", UP)]


def test_it_lets_a_new_pending_negotiate_after_a_refusal():
    # An edit (or reset) marks the connection Pending in its action, not through next_state.
    after_edit = next_state("pending", PENDING_REASON, Observed("connecting", NEGOTIATING), "sweep")
    assert after_edit == Transition("connecting", NEGOTIATING)


def test_it_keeps_the_reason_of_a_retry_that_takes_a_while():
    again = next_state("disconnected", RETRYING, Observed("connecting", NEGOTIATING), "sweep")
    assert again == Transition("disconnected", RETRYING)


def test_it_refuses_an_unknown_event():
    with pytest.raises(ValueError, match="unknown event"):
        next_state("connected", UP, Observed("connected", UP), "ike-updown")


def test_it_needs_the_peer_for_a_down_event():
    with pytest.raises(ValueError, match="peer"):
        next_state("connected", UP, Observed("connecting", NEGOTIATING), "event-down")


def test_it_speaks_the_words_of_connection_state():
    assert {
        states.PENDING,
        states.CONNECTING,
        states.CONNECTED,
        states.DISCONNECTED,
        states.ERROR,
    } == set(ConnectionState.values)


def test_it_imports_without_django():
    code = "import sys, vpn.strongswan.states; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- which single log lines are failures ---------------------------------------------------

# charon log lines as captured in the lab (see test_sas.py)
FAILURE_LINES = [
    pytest.param("tried 1 shared key for 'a' - 'b', but MAC mismatched", id="mac-mismatched"),
    pytest.param("received AUTHENTICATION_FAILED notify error", id="authentication-failed"),
    pytest.param("authentication of '192.0.2.2' with pre-shared key failed", id="auth-failed"),
    pytest.param("invalid HASH_V1 payload length, decryption failed?", id="ikev1-decryption"),
    pytest.param("could not decrypt payloads", id="ikev1-could-not-decrypt"),
    pytest.param("no shared key found for '192.0.2.1' - 'fw.example.com'", id="no-shared-key"),
    pytest.param("no matching peer config found", id="no-peer-config"),
    pytest.param(
        "no IKE config found for 192.0.2.1...192.0.2.2, sending NO_PROPOSAL_CHOSEN",
        id="no-ike-config",
    ),
    pytest.param("received NO_PROPOSAL_CHOSEN notify error", id="no-proposal-chosen"),
    pytest.param("no acceptable proposal found", id="no-acceptable-proposal"),
    pytest.param("received proposals unacceptable", id="proposals-unacceptable"),
    pytest.param("received TS_UNACCEPTABLE notify, no CHILD_SA built", id="ts-unacceptable"),
    pytest.param(
        "traffic selectors 10.1.0.0/16 === 10.5.0.0/24 unacceptable", id="selectors-unacceptable"
    ),
    pytest.param("received INVALID_ID_INFORMATION error notify", id="ikev1-invalid-id"),
    pytest.param("no matching CHILD_SA config found", id="no-child-config"),
]

# Lines that do not, on their own, say why a negotiation failed.
OTHER_LINES = [
    pytest.param("authentication of '192.0.2.2' with pre-shared key successful", id="auth-ok"),
    pytest.param("authentication of '192.0.2.1' (myself) with pre-shared key", id="auth-myself"),
    pytest.param("received proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128", id="received"),
    pytest.param("configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128", id="configured"),
    pytest.param("CHILD_SA vpn-7{1} established with SPIs 1d4fdd49_i 14cda75b_o", id="child-up"),
    pytest.param("generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]", id="a-bare-notify"),
    pytest.param("retransmit 2 of request with message ID 0", id="a-retransmit"),
    pytest.param("giving up after 2 retransmits", id="a-timeout"),
    pytest.param("establishing IKE_SA failed, peer not responding", id="a-silent-peer"),
]


@pytest.mark.parametrize("line", FAILURE_LINES)
def test_it_sees_a_failure_in_one_log_line_and_can_explain_it(line):
    assert is_failure_log(line)
    assert reason_from_log([line]) is not None


@pytest.mark.parametrize("line", OTHER_LINES)
def test_it_sees_no_failure_in_a_line_that_does_not_say_why(line):
    assert not is_failure_log(line)


def test_it_leaves_a_timeout_to_the_whole_log():
    # An IKEv1 wrong key also ends in "peer not responding": a timeout line read alone must
    # not overwrite the key failure its earlier lines explained; the whole log tells.
    ikev1_wrong_key = [
        "could not decrypt payloads",
        "giving up after 2 retransmits",
        "establishing IKE_SA failed, peer not responding",
    ]
    assert [is_failure_log(line) for line in ikev1_wrong_key] == [True, False, False]
    assert "pre-shared key" in (reason_from_log(ikev1_wrong_key) or "")
