"""The live layer: the event hub, the meeting and kiosk sockets, revocation, live progress."""
