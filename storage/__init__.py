"""Ports and adapters for everything Værn keeps: cases, evidence and dialog state."""
