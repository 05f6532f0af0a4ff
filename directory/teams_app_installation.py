"""Værn in a person's Teams, installed through Microsoft Graph, so a leader who never opened it can be sent a case.

`personal_chat(user)` installs the app in the user's personal scope (`POST /users/{id}/teamwork/installedApps`
binding the app's id in the organisation's app catalog; 201 installed, 409 installed already) and returns the id of
the 1:1 chat between the user and the app (`GET .../installedApps/{installation id}/chat`), in which the bot can then
send. Permission: TeamsAppInstallation.ReadWriteSelfForUser.All (application): the app can install only itself.
Graph's errors come out as `GraphError` (`GraphUnavailable` when trying again later may help).
"""

from __future__ import annotations

from urllib.parse import quote

from directory.graph_client import GraphClient, GraphError

INSTALLED = frozenset({201, 409})  # 409 Conflict: the app is installed for the user already


class TeamsAppInstaller:
    def __init__(self, client: GraphClient, catalog_app_id: str) -> None:
        if not catalog_app_id:
            raise ValueError("installing Værn for a user needs the app's id in the Teams app catalog")
        self._client = client
        self._catalog_app_id = catalog_app_id

    async def personal_chat(self, aad_object_id: str) -> str:
        """Install Værn for the user (if it is not) and return the id of their chat with it."""
        user = f"/users/{quote(aad_object_id, safe='')}/teamwork/installedApps"
        app = f"{self._client.base_url}/appCatalogs/teamsApps/{quote(self._catalog_app_id, safe='')}"
        await self._client.post(user, {"teamsApp@odata.bind": app}, answers=INSTALLED)
        wanted = {"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{self._catalog_app_id}'"}
        installation_id = None
        async for installation in self._client.pages(user, wanted):
            installation_id = installation.get("id")
            break
        if not isinstance(installation_id, str) or not installation_id:
            raise GraphError(f"{user}: Værn is not among the user's apps after it was installed", 404)
        chat = await self._client.get(f"{user}/{quote(installation_id, safe='')}/chat")
        chat_id = chat.get("id") if chat is not None else None
        if not isinstance(chat_id, str) or not chat_id:
            raise GraphError(f"{user}/…/chat: no chat with Værn", 404)
        return chat_id
