"""The edge to Bot Framework and Teams: adapter, activity handler, settings, proactive messaging."""
