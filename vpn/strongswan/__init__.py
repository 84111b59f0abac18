"""The strongSwan control plane: connection specs, VICI messages, SA parsing, sessions."""
