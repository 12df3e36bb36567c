"""The demo ward council: people, meetings and papers."""
