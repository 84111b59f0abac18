"""The connection state machine: from the state on record and what was just seen, the state
to record. One pure function for every writer (the reconciler, the sweep, the event monitor);
no database, no socket, no Django. The caller writes the result with a conditional UPDATE
(`filter(pk=..., state=current).update(...)`), so a state someone else changed meanwhile wins.

Events, i.e. what the caller just saw (`observed` is what it would record without these rules):

- "sweep": a list-sas nobody asked for an event about: the periodic sweep, and the list-sas
  after a reconcile or a push.
- "event-up": the monitor's list-sas after an ike-updown/child-updown that is not a "down".
- "event-down": the monitor's list-sas after an SA of the connection went down (today an
  ike-updown without up=yes), taken after its confirmation pause. Needs `peer`.
- "rekey": the monitor's list-sas after an ike-rekey/child-rekey.
- "log-failure": a charon log line explained a failure (sas.is_failure_log); `observed` is
  that Error, `Observed(ERROR, reason_from_log(<the connection's recent lines>, spec))`. No
  list-sas is made.
- "refused": charon refused an operation for the connection (a load or a reset's initiate);
  `observed` is that Error with charon's words.
- "reset": a reset's terminate and initiate were sent; `observed` carries the reason
  ("Reset: negotiating again."). The reset action marked the connection Pending before.

The four list-sas events follow the same rules; the names say what happened, for the log.
The monitor may also pass `failure`: why the last negotiation failed according to the recent
log lines of the IKE SA (sas.reason_from_log), which a sweep does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # sas.py uses vpn.choices (Django): imported for the annotation only
    from vpn.strongswan.sas import Observed

# The values of vpn.choices.ConnectionState (a Django module; this one stays without Django).
PENDING = "pending"
CONNECTING = "connecting"
CONNECTED = "connected"
DISCONNECTED = "disconnected"
ERROR = "error"

Event = Literal["sweep", "event-up", "event-down", "rekey", "log-failure", "refused", "reset"]
EVENTS: frozenset[str] = frozenset(get_args(Event))

# A negotiation counts as the first one (Connecting) only after an add, an edit or a reset,
# all of which leave the connection Pending; any other negotiation is a retry of a lost tunnel.
FIRST_NEGOTIATION = frozenset({PENDING, CONNECTING})


@dataclass(frozen=True)
class Transition:
    state: str
    reason: str


def next_state(
    current_state: str,
    current_reason: str,
    observed: Observed,
    event: Event,
    *,
    peer: str = "",
    failure: str | None = None,
) -> Transition:
    """The state and reason to record (the same as the current ones when nothing changes).

    - A reset starts a first negotiation: Connecting, whatever a sweep recorded meanwhile.
    - A refusal and a failure in the log are Errors, whatever the tunnel did before.
    - Connected always wins.
    - With a `failure` from the log, a Disconnected observation becomes Error with it.
    - After a down event, a negotiation under way is a retry: "The tunnel went down; trying
      to reach <peer> again."
    - An Error stays while the tunnel is merely down or negotiating again: its reason (e.g.
      "authentication failed", or charon refusing the configuration) is what the tenant
      needs, until the tunnel is up, another Error is seen, or an add, edit or reset marks
      the connection Pending again.
    - Connecting is only the first negotiation (current Pending or Connecting); any other
      negotiation is a retry and shows as down: "The tunnel is down; negotiating again. ...".
    - Otherwise the observation stands.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; expected one of {sorted(EVENTS)}")
    if event == "event-down" and not peer:
        raise ValueError("an event-down needs the peer's address")
    if event == "reset":
        return Transition(CONNECTING, observed.reason)
    if event in ("refused", "log-failure"):
        return Transition(ERROR, observed.reason)

    state, reason = observed.state, observed.reason
    if state == DISCONNECTED and failure:
        state, reason = ERROR, failure
    elif state == CONNECTING and event == "event-down":
        state, reason = DISCONNECTED, f"The tunnel went down; trying to reach {peer} again."

    if current_state == ERROR and state in (DISCONNECTED, CONNECTING):
        return Transition(current_state, current_reason)
    if state == CONNECTING and current_state not in FIRST_NEGOTIATION:
        return Transition(DISCONNECTED, f"The tunnel is down; negotiating again. {reason}")
    return Transition(state, reason)
