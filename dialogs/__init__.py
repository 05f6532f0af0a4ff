"""Conversations with the user (botbuilder-dialogs). Dialogs ask and show; rules live in domain/."""
