"""Adaptive Card builders (adaptive-cards-py), one module per card family; all cards target Teams 1.5."""
