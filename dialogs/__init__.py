"""Conversations with the user, on Værn's own small dialog engine (dialogs/engine.py).

Dialogs ask and show, then call a service; rules live in domain/. They never import the Teams SDK.
"""
