"""Media infrastructure: Janus (SFU) servers, TURN credentials, tokens. The stage area decides who may do what;
this package only talks to the media servers. See docs/stage.md."""
