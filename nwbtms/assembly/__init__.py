"""The assembly layer: read a session's sources, build its NWB file, convert one or many sessions."""
